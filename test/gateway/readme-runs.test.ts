/**
 * The README runs: every named operation of every ```graphql block, and every `curl` command,
 * is executed (not only validated) against the demo (`startDemo`, what `npm run demo` starts:
 * the sandbox with seed 1 and the gateway on it), over real HTTP, in README order.
 *
 * `NEEDS` says what each operation needs (token, variables, a file, what to do before/after)
 * and what its answer must show. A README operation without an entry FAILS the test, as does a
 * curl command with a placeholder, a file or a host not known here: a new example must be given
 * what it needs (and so be runnable) before the README can grow. `SKIPPED` is the short list of
 * examples that cannot run here, each with its reason. Blocks in other languages (the client
 * guide's TypeScript, Hive Gateway and Apollo Router configuration) configure other programs
 * and are not run; their GraphQL goes in ```graphql blocks when it should be.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Demo } from '../../scripts/demo-setup.js';
import { startDemo } from '../../scripts/demo-setup.js';
import type { CurlCommand, ReadmeOperation } from './readme-support.js';
import { readmeCurls, readmeOperations } from './readme-support.js';

type Data = Record<string, unknown>;
type Token = 'none' | 'master' | 'member';

/** What one run shares between examples (a handle, an OAuth2 code, …). */
interface RunState {
  demo: Demo;
  values: Map<string, string>;
}

interface Needs {
  token: Token;
  variables?: (s: RunState) => Data;
  /** The `Upload` variable and the file it carries (multipart request). */
  upload?: { variable: string; filename: string; content: string };
  /**
   * Subscriptions: what makes an event happen once the stream is open, and its expected content.
   */
  trigger?: (s: RunState) => Promise<string>;
  /** Assertions on `data` (the answer has no errors in any case). */
  check: (data: Data, s: RunState) => void | Promise<void>;
  /** Runs after the operation succeeded (e.g. sends the file a pre-signed URL expects). */
  after?: (data: Data, s: RunState) => Promise<void>;
}

const at = (data: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Data)[key] : undefined), data);
const count = (data: unknown, path: string): number => {
  const value = at(data, path);
  return Array.isArray(value) ? value.length : -1;
};
const STEPS = JSON.stringify({ date: '2024-05-01', steps: 10_234 });

const NEEDS: Record<string, Needs> = {
  FirstQuery: { token: 'none', check: (d) => expect(count(d, 'dataFiles.edges')).toBe(3) },
  ProjectsPage: {
    token: 'none',
    check: (d) => expect(count(d, 'projects.edges')).toBeGreaterThan(0),
  },
  FilesOfAProject: {
    token: 'none',
    variables: (s) => ({ projectId: s.demo.examples.projectId }),
    check: (d) => expect(at(d, 'dataFiles.totalCount')).toBeGreaterThan(0),
  },
  DataTypeTree: {
    token: 'none',
    variables: (s) => ({ dataTypeId: s.demo.examples.dataTypeId }),
    check: (d) => {
      expect(count(d, 'dataType.children')).toBeGreaterThan(0);
      expect(count(d, 'dataType.dataFiles.edges')).toBeGreaterThan(0);
    },
  },
  Member: {
    token: 'none',
    variables: (s) => ({ username: s.demo.examples.username }),
    check: (d) => expect(at(d, 'user.dataFiles.totalCount')).toBeGreaterThan(0),
  },
  FileDates: {
    token: 'none',
    check: (d) => {
      const nodes = (
        at(d, 'dataFiles.edges') as { node: { metadataDates: { creation: unknown } | null } }[]
      ).map((e) => e.node);
      expect(nodes).toHaveLength(5);
      for (const node of nodes) expect(node.metadataDates).toHaveProperty('creation');
    },
  },
  MyProject: {
    token: 'master',
    check: (d) => expect(at(d, 'viewer.project.members.totalCount')).toBeGreaterThan(0),
  },
  UploadSteps: {
    token: 'master',
    variables: (s) => ({ member: s.demo.examples.member }),
    upload: { variable: 'file', filename: 'steps.json', content: STEPS },
    check: (d) => {
      expect(at(d, 'uploadDataFile.__typename')).toBe('UploadDataFilePayload');
      expect(at(d, 'uploadDataFile.dataFile.basename')).toBe('steps.json');
    },
  },
  StartDirectUpload: {
    token: 'master',
    variables: (s) => ({ member: s.demo.examples.member }),
    check: (d) => expect(at(d, 'createDataFileUpload.method')).toBe('PUT'),
    // The client's part: PUT the bytes to the pre-signed URL as told.
    after: async (d, s) => {
      const upload = d.createDataFileUpload as {
        uploadUrl: string;
        handle: string;
        requiredHeaders: string[];
      };
      const body = Buffer.from('##fileformat=VCFv4.2\n');
      expect(upload.requiredHeaders).toEqual(['Content-Length']);
      // undici's request: fetch() sets Content-Length itself and refuses it as a header.
      const res = await request(upload.uploadUrl, {
        method: 'PUT',
        body,
        headers: { 'content-length': String(body.length) },
      });
      await res.body.text();
      expect(res.statusCode).toBe(200);
      s.values.set('handle', upload.handle);
    },
  },
  CompleteDirectUpload: {
    token: 'master',
    variables: (s) => ({ handle: s.values.get('handle') }),
    check: (d) => expect(at(d, 'completeDataFileUpload.size')).toBe(21),
  },
  CleanUp: {
    token: 'master',
    variables: (s) => ({ member: s.demo.examples.member }),
    check: (d, s) => {
      // The README upload and the curl upload both stored a steps.json.
      expect(count(d, 'deleteDataFiles.deletedDatabaseIds')).toBe(2);
      expect(at(d, 'sendMessage.projectMemberIds')).toEqual([s.demo.examples.member]);
      expect(at(d, 'removeMembers.removedProjectMemberIds')).toEqual([s.demo.examples.member]);
    },
    // Removing a member makes the sandbox call the deauthorization webhook: wait for its answer.
    after: async (_d, s) => {
      await untilWebhookDelivered(s, s.demo.examples.member);
    },
  },
  SignInUrl: {
    token: 'none',
    // The app keeps a random verifier and sends its S256 challenge.
    variables: (s) => {
      const verifier = randomBytes(32).toString('base64url');
      s.values.set('codeVerifier', verifier);
      return {
        redirectUri: s.demo.examples.redirectUri,
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      };
    },
    check: (d, s) =>
      expect(String(at(d, 'oauthAuthorizeUrl.url'))).toMatch(new RegExp(`^${s.demo.sandbox.url}/`)),
    // The member's part: open the URL, pick a member, authorize; Open Humans redirects back.
    after: async (d, s) => {
      const url = String(at(d, 'oauthAuthorizeUrl.url'));
      const page = await fetch(url);
      expect(page.status, await page.clone().text()).toBe(200);
      const form = new URLSearchParams(new URL(url).search);
      form.set('project_member_id', secondMember(s));
      form.set('allow', 'Authorize');
      const approved = await fetch(url.split('?')[0] ?? url, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
      const location = new URL(approved.headers.get('location') ?? 'http://invalid/');
      expect(`${location.origin}${location.pathname}`).toBe(s.demo.examples.redirectUri);
      s.values.set('code', location.searchParams.get('code') ?? '');
      s.values.set('state', location.searchParams.get('state') ?? '');
    },
  },
  FinishSignIn: {
    token: 'none',
    variables: (s) => ({
      code: s.values.get('code'),
      state: s.values.get('state'),
      redirectUri: s.demo.examples.redirectUri,
      codeVerifier: s.values.get('codeVerifier'),
    }),
    check: (d, s) => {
      expect(at(d, 'exchangeOAuthCode.member.projectMemberId')).toBe(secondMember(s));
      s.values.set('refreshToken', String(at(d, 'exchangeOAuthCode.refreshToken')));
    },
  },
  Refresh: {
    token: 'none',
    variables: (s) => ({ refreshToken: s.values.get('refreshToken') }),
    check: (d, s) =>
      expect(at(d, 'refreshOAuthToken.refreshToken')).not.toBe(s.values.get('refreshToken')),
  },
  MissedDeauthorizations: {
    token: 'master',
    check: (d, s) => {
      const members = (
        at(d, 'deauthorizationEvents.edges') as { node: { projectMemberId: string } }[]
      ).map((e) => e.node.projectMemberId);
      expect(members).toContain(s.demo.examples.member);
    },
  },
  Deauthorizations: {
    token: 'master',
    // Another member leaves the project while the subscription is open.
    trigger: async (s) => {
      const member = nextSpareMember(s);
      await sandboxControl(s, '/__sandbox/members/leave', { projectMemberId: member });
      return member;
    },
    check: () => undefined,
  },
};

/** Examples that cannot run in a test, and why. Keep it short. */
const SKIPPED: Record<string, string> = {};

function secondMember(s: RunState): string {
  return Object.keys(s.demo.sandbox.memberTokens)[1] ?? '';
}
/**
 * A member no other example uses (the first two are the README's `member` and the signed-in one).
 */
function nextSpareMember(s: RunState): string {
  const used = Number(s.values.get('spareMembersUsed') ?? '0');
  s.values.set('spareMembersUsed', String(used + 1));
  const member = Object.keys(s.demo.sandbox.memberTokens)[2 + used];
  if (!member) throw new Error('the demo sandbox has no spare member left');
  return member;
}

async function sandboxControl(s: RunState, path: string, body?: Data): Promise<unknown> {
  const res = await fetch(`${s.demo.sandbox.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

/**
 * Waits (bounded by count, not time) until the sandbox recorded the gateway's answer to a webhook.
 */
async function untilWebhookDelivered(s: RunState, member: string): Promise<void> {
  for (let i = 0; i < 2_000; i += 1) {
    const list = (await sandboxControl(s, '/__sandbox/webhooks')) as {
      webhooks?: { payload: { project_member_id: string }; status: number | null }[];
    };
    const delivery = (Array.isArray(list) ? list : (list.webhooks ?? [])) as {
      payload: { project_member_id: string };
      status: number | null;
    }[];
    if (delivery.some((d) => d.payload.project_member_id === member && d.status === 200)) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`the deauthorization webhook for ${member} was not delivered`);
}

function tokenFor(s: RunState, token: Token): string | undefined {
  if (token === 'master') return s.demo.sandbox.masterToken;
  if (token === 'member') return s.demo.sandbox.memberTokens[s.demo.examples.member];
  return undefined;
}

function baseHeaders(s: RunState, token: Token): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/graphql-response+json' };
  const value = tokenFor(s, token);
  if (value) headers.authorization = `Bearer ${value}`;
  return headers;
}

async function send(
  s: RunState,
  op: ReadmeOperation,
  needs: Needs,
): Promise<{ status: number; body: string }> {
  const url = `${s.demo.running.url}/graphql`;
  const variables = needs.variables?.(s) ?? {};
  const headers = baseHeaders(s, needs.token);
  let res: Response;
  if (needs.upload) {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: op.document,
        operationName: op.name,
        variables: { ...variables, [needs.upload.variable]: null },
      }),
    );
    form.append('map', JSON.stringify({ 0: [`variables.${needs.upload.variable}`] }));
    form.append('0', new Blob([needs.upload.content]), needs.upload.filename);
    res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'graphql-preflight': '1' },
      body: form,
    });
  } else {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query: op.document, operationName: op.name, variables }),
    });
  }
  return { status: res.status, body: await res.text() };
}

/** Opens the subscription over SSE, fires the trigger, and returns the first event's data. */
async function subscribe(
  s: RunState,
  request: { url: string; headers: Record<string, string>; body: string },
  trigger: Needs['trigger'],
): Promise<{ data: Data; expected: string }> {
  if (!trigger) throw new Error('a subscription example needs a trigger in NEEDS');
  const abort = new AbortController();
  const res = await fetch(request.url, {
    method: 'POST',
    headers: { ...request.headers, accept: 'text/event-stream' },
    body: request.body,
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const expected = await trigger(s);
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before an event: ${text}`);
      text += new TextDecoder().decode(value);
      const event = /event: next\ndata: (.*)\n/.exec(text);
      if (event?.[1]) return { data: (JSON.parse(event[1]) as { data: Data }).data, expected };
    }
  } finally {
    abort.abort();
  }
}

function parsed(res: { status: number; body: string }): { data?: Data | null; errors?: unknown[] } {
  try {
    return JSON.parse(res.body) as { data?: Data | null; errors?: unknown[] };
  } catch {
    throw new Error(`not JSON (HTTP ${res.status}): ${res.body.slice(0, 300)}`);
  }
}

/** Placeholders a curl example may use, and what they stand for on the demo. */
function placeholders(s: RunState): Record<string, string> {
  return {
    '<member token>': s.demo.sandbox.memberTokens[s.demo.examples.member] ?? '',
    '<master token>': s.demo.sandbox.masterToken,
  };
}

/** Files a curl example may send with `-F name=@file`. */
const CURL_FILES: Record<string, string> = { 'steps.json': STEPS };

function resolveCurl(
  s: RunState,
  cmd: CurlCommand,
): { url: string; headers: Record<string, string>; data?: string } {
  const swap = (text: string): string => {
    let out = text;
    for (const [placeholder, value] of Object.entries(placeholders(s)))
      out = out.replaceAll(placeholder, value);
    const unknown = /<[a-z][a-z ]*>/.exec(out);
    if (unknown)
      throw new Error(
        `README curl (line ${cmd.line}) uses ${unknown[0]}: add it to placeholders() in this test`,
      );
    return out;
  };
  const url = new URL(cmd.url);
  if (url.origin !== 'http://localhost:4000')
    throw new Error(
      `README curl (line ${cmd.line}) calls ${url.origin}: only the gateway at http://localhost:4000 runs here`,
    );
  const headers = Object.fromEntries(Object.entries(cmd.headers).map(([k, v]) => [k, swap(v)]));
  return {
    url: `${s.demo.running.url}${url.pathname}${url.search}`,
    headers,
    ...(cmd.data !== undefined ? { data: swap(cmd.data) } : {}),
  };
}

async function runCurl(s: RunState, cmd: CurlCommand): Promise<Data> {
  const { url, headers, data } = resolveCurl(s, cmd);
  if (cmd.stream) {
    const query = (JSON.parse(data ?? '{}') as { query?: string }).query ?? '';
    const name = /memberDeauthorized/.test(query) ? 'Deauthorizations' : '';
    const { data: event, expected } = await subscribe(
      s,
      { url, headers, body: data ?? '' },
      NEEDS[name]?.trigger,
    );
    expect(at(event, 'memberDeauthorized.projectMemberId')).toBe(expected);
    return event;
  }
  let body: BodyInit | undefined = data;
  if (cmd.form.length > 0) {
    const form = new FormData();
    for (const field of cmd.form) {
      if (field.file === undefined) form.append(field.name, field.value ?? '');
      else {
        const content = CURL_FILES[field.file];
        if (content === undefined)
          throw new Error(
            `README curl (line ${cmd.line}) sends ${field.file}: add it to CURL_FILES`,
          );
        form.append(field.name, new Blob([content]), field.file);
      }
    }
    body = form;
  }
  const res = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body });
  const answer = parsed({ status: res.status, body: await res.text() });
  expect(res.status, JSON.stringify(answer)).toBe(200);
  expect(answer.errors, JSON.stringify(answer)).toBeUndefined();
  return answer.data ?? {};
}

describe('every README example runs on the demo', () => {
  let readme: string;
  let state: RunState;

  beforeAll(async () => {
    readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const demo = await startDemo({ PORT: '0', LOG_LEVEL: 'silent', GRAPHIQL: 'false' });
    state = { demo, values: new Map() };
  }, 60_000);

  afterAll(async () => {
    await state?.demo.close();
  });

  it('has an entry in NEEDS (or SKIPPED) for every README operation, and none left over', () => {
    const names = readmeOperations(readme).map((op) => op.name);
    expect(names.length).toBeGreaterThanOrEqual(15);
    expect(names.filter((n) => !(n in NEEDS) && !(n in SKIPPED))).toEqual([]);
    expect(Object.keys(NEEDS).filter((n) => !names.includes(n))).toEqual([]);
  });

  it('runs every operation and curl command in README order', async () => {
    const steps = [
      ...readmeOperations(readme).map((op) => ({
        line: op.line,
        run: () => runOperation(state, op),
      })),
      ...readmeCurls(readme).map((cmd) => ({ line: cmd.line, run: () => runCurl(state, cmd) })),
    ].sort((a, b) => a.line - b.line);
    expect(steps.length).toBeGreaterThanOrEqual(18);
    for (const step of steps) {
      try {
        await step.run();
      } catch (err) {
        throw new Error(
          `README line ${step.line}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }
  }, 180_000);
});

async function runOperation(s: RunState, op: ReadmeOperation): Promise<void> {
  if (op.name in SKIPPED) return;
  const needs = NEEDS[op.name];
  if (!needs) throw new Error(`README operation ${op.name} has no entry in NEEDS`);
  if (op.type === 'subscription') {
    const body = JSON.stringify({
      query: op.document,
      operationName: op.name,
      variables: needs.variables?.(s) ?? {},
    });
    const headers = { ...baseHeaders(s, needs.token), 'content-type': 'application/json' };
    const { data, expected } = await subscribe(
      s,
      { url: `${s.demo.running.url}/graphql`, headers, body },
      needs.trigger,
    );
    expect(at(data, 'memberDeauthorized.projectMemberId')).toBe(expected);
    return;
  }
  const res = await send(s, op, needs);
  const answer = parsed(res);
  expect(answer.errors, `${op.name}: ${res.body.slice(0, 500)}`).toBeUndefined();
  expect(res.status).toBe(200);
  const data = answer.data ?? {};
  await needs.check(data, s);
  await needs.after?.(data, s);
}
