// Reads the VCR.py cassettes recorded by Open Humans' `ohapi` client (2018) and one from
// django-open-humans, kept in `test/fixtures/cassettes` (OPENHUMANS_CASSETTES_DIR points
// elsewhere).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

export interface CassetteRequest {
  method: string;
  uri: string;
  /** Form body text, raw bytes (a streamed upload), or null. */
  body: string | Buffer | null;
  headers: Record<string, string[]>;
}

export interface CassetteResponse {
  status: number;
  body: string;
  headers: Record<string, string[]>;
}

export interface Interaction {
  request: CassetteRequest;
  response: CassetteResponse;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the cassettes are, or null when the directory is missing. */
export function cassettesDir(): string | null {
  const dir = process.env.OPENHUMANS_CASSETTES_DIR ?? resolve(REPO_ROOT, 'test/fixtures/cassettes');
  return existsSync(dir) ? dir : null;
}

/** Cassette file names relative to the directory (top level plus django-open-humans/). */
export function listCassettes(dir: string): string[] {
  const top = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const doh = join(dir, 'django-open-humans');
  const nested = existsSync(doh)
    ? readdirSync(doh)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => `django-open-humans/${f}`)
    : [];
  return [...top, ...nested].sort();
}

/**
 * PyYAML writes long single-quoted scalars inside flow mappings with continuation lines at column
 * 0, which PyYAML reads but a strict YAML 1.2 parser rejects. Indenting those continuation lines
 * does not change the scalar's value (leading white space of folded lines is dropped).
 */
export function indentQuotedContinuations(text: string): string {
  let quote: "'" | '"' | null = null;
  return text
    .split('\n')
    .map((line) => {
      const out = quote && line.length > 0 && !/^\s/.test(line) ? `        ${line}` : line;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quote === null) {
          if (c === "'" || c === '"') quote = c;
        } else if (quote === "'" && c === "'") {
          if (line[i + 1] === "'") i++;
          else quote = null;
        } else if (quote === '"' && c === '\\') i++;
        else if (quote === '"' && c === '"') quote = null;
      }
      return out;
    })
    .join('\n');
}

interface RawInteraction {
  request: { method: string; uri: string; body: unknown; headers?: Record<string, string[]> };
  response: {
    status: { code: number };
    body: { string: unknown };
    headers?: Record<string, string[]>;
  };
}

/** Reads one cassette into plain interactions. */
export function readCassette(path: string): Interaction[] {
  const doc = parseDocument(indentQuotedContinuations(readFileSync(path, 'utf8')), {
    customTags: ['binary'],
  });
  if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message ?? 'YAML error'}`);
  const js = doc.toJS() as { interactions: RawInteraction[] };
  return js.interactions.map((i) => ({
    request: {
      method: i.request.method,
      uri: i.request.uri,
      body: requestBody(i.request.body),
      headers: i.request.headers ?? {},
    },
    response: {
      status: i.response.status.code,
      body: String(i.response.body.string ?? ''),
      headers: i.response.headers ?? {},
    },
  }));
}

/** A string body, or the bytes of a `!!python/object/new:_io.BytesIO` (state[0] is !!binary). */
function requestBody(body: unknown): string | Buffer | null {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return body;
  const state = (body as { state?: unknown[] }).state;
  const bytes = state?.[0];
  if (bytes instanceof Uint8Array) return Buffer.from(bytes);
  throw new Error('unsupported cassette request body');
}
