/**
 * Shared set-up of the mutation tests: a stack with a private temp dir, and listing/download
 * helpers.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { SandboxOptions } from '../../sandbox/index.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';
import type { FilePart, GraphQLResponse } from './upload-client.js';
import { sendMultipart } from './upload-client.js';

export interface UploadStack extends Stack {
  baseUrl: string;
  tmpDir: string;
  /** Files left in the upload temp dir (must be empty between operations). */
  leftovers(): string[];
}

export async function startUploadStack(
  env: Record<string, string> = {},
  sandboxOptions: SandboxOptions = {},
): Promise<UploadStack> {
  const tmpDir = mkdtempSync(join(tmpdir(), 'oh-graphql-upload-test-'));
  const stack = await startStack({
    env: {
      UPLOAD_TMP_DIR: tmpDir,
      UPLOAD_DIRECT_THRESHOLD_BYTES: String(64 * 1024),
      LOG_LEVEL: 'warn',
      ...env,
    },
    sandboxOptions: { storage: 'memory', ...sandboxOptions },
  });
  const baseUrl = await stack.listen();
  const close = stack.close.bind(stack);
  return Object.assign(stack, {
    baseUrl,
    tmpDir,
    leftovers: () => readdirSync(tmpDir),
    close: async () => {
      await close();
      rmSync(tmpDir, { recursive: true, force: true });
    },
  });
}

export const UPLOAD_MUTATION = /* GraphQL */ `
  mutation Upload($input: UploadDataFileInput!) {
    uploadDataFile(input: $input) {
      __typename
      ... on UploadDataFilePayload {
        databaseId dataFileId projectMemberId size md5 uploadMethod
        dataFile { databaseId basename downloadUrl metadata }
      }
      ... on UserError { message }
      ... on InvalidInputError { field }
      ... on FileTooLargeError { limitBytes }
      ... on ChecksumMismatchError { expectedMd5 actualMd5 }
    }
  }
`;

export interface UploadArgs {
  token: string;
  projectMemberId?: string;
  file: FilePart['content'];
  filename?: string;
  metadata?: Record<string, unknown>;
  dataTypeIds?: string[];
  idempotencyKey?: string;
  /** The declared size (`input.size`). */
  size?: number;
}

export const DEFAULT_METADATA = { description: 'test file', tags: ['test'] };

/** `uploadDataFile` over real HTTP with the multipart spec. */
export function upload(stack: UploadStack, args: UploadArgs): Promise<GraphQLResponse> {
  const input: Record<string, unknown> = {
    file: null,
    metadata: args.metadata ?? DEFAULT_METADATA,
  };
  if (args.projectMemberId !== undefined) input.projectMemberId = args.projectMemberId;
  if (args.dataTypeIds) input.dataTypeIds = args.dataTypeIds;
  if (args.idempotencyKey) input.idempotencyKey = args.idempotencyKey;
  if (args.size !== undefined) input.size = args.size;
  return sendMultipart(
    stack.baseUrl,
    {
      operations: { query: UPLOAD_MUTATION, variables: { input } },
      map: { '0': ['variables.input.file'] },
      files: [{ field: '0', filename: args.filename ?? 'data.bin', content: args.file }],
    },
    { token: args.token },
  );
}

export type UploadResult = {
  __typename: string;
  databaseId?: number;
  dataFileId?: string;
  projectMemberId?: string;
  size?: number;
  md5?: string;
  uploadMethod?: string;
  dataFile?: {
    databaseId: number;
    basename: string;
    downloadUrl: string;
    metadata: Record<string, unknown>;
  } | null;
  message?: string;
  field?: string;
  limitBytes?: number;
  expectedMd5?: string;
  actualMd5?: string;
};

export function uploadResult(res: GraphQLResponse): UploadResult {
  const data = res.json?.data as { uploadDataFile?: UploadResult } | undefined;
  if (!data?.uploadDataFile)
    throw new Error(`no uploadDataFile in ${res.status} ${res.text.slice(0, 500)}`);
  return data.uploadDataFile;
}

export interface ListedFile {
  databaseId: number;
  basename: string;
  downloadUrl: string;
  metadata: Record<string, unknown>;
}

/** A member's files as the gateway lists them (master token: by id; member token: own). */
export async function listFiles(
  stack: Stack,
  token: string,
  projectMemberId?: string,
): Promise<ListedFile[]> {
  const selection =
    'dataFiles(first: 100) { totalCount edges { node { databaseId basename downloadUrl metadata } } }';
  const query = projectMemberId
    ? `query($id: String!) { viewer { project { member(projectMemberId: $id) { ${selection} } } } }`
    : `{ viewer { member { ${selection} } } }`;
  const res = await stack.execute<unknown>(query, projectMemberId ? { id: projectMemberId } : {}, {
    token,
  });
  if (res.errors?.length) throw new Error(`listing failed: ${JSON.stringify(res.errors)}`);
  const viewer = (res.data as { viewer: { project?: { member: Conn }; member?: Conn } }).viewer;
  const conn = (projectMemberId ? viewer.project?.member : viewer.member) as Conn;
  return conn.dataFiles.edges.map((e) => e.node);
}

type Conn = { dataFiles: { edges: Array<{ node: ListedFile }> } };

/** Downloads a file through its download URL (sandbox: 302 to its signed S3-like GET). */
export async function download(url: string): Promise<Buffer> {
  let current = url;
  for (let hop = 0; hop < 3; hop++) {
    const res = await request(current, { method: 'GET' });
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      await res.body.dump();
      current = new URL(String(res.headers.location), current).toString();
      continue;
    }
    if (res.statusCode !== 200) throw new Error(`download answered ${res.statusCode}`);
    return Buffer.from(await res.body.arrayBuffer());
  }
  throw new Error('too many redirects');
}

/** Some member of the own project, with their token. */
export function someMember(stack: Stack, index = 0): { projectMemberId: string; token: string } {
  const entries = Object.entries(stack.sandbox.memberTokens);
  const entry = entries[index];
  if (!entry) throw new Error('sandbox has no member tokens');
  return { projectMemberId: entry[0], token: entry[1] };
}
