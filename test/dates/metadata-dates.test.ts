/**
 * Metadata dates through the gateway and the sandbox over HTTP: every form Open Humans accepts is
 * accepted by `uploadDataFile`, stored as sent, and read back as set (`metadataDates`), with the
 * instant Open Humans reads (`creationDate`, …). `DateTime` keeps the upstream's microseconds.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { someBytes } from '../mutations/upload-client.js';
import type { UploadStack } from '../mutations/upload-stack.js';
import { someMember, startUploadStack, upload, uploadResult } from '../mutations/upload-stack.js';

let stack: UploadStack;
beforeAll(async () => {
  stack = await startUploadStack();
});
afterAll(async () => {
  await stack?.close();
});

const DATES = /* GraphQL */ `
  query {
    viewer {
      member {
        dataFiles(first: 100) {
          edges {
            node {
              databaseId created creationDate startDate endDate metadata
              metadataDates {
                creation { text instant precision utcOffset }
                start { text instant precision utcOffset }
                end { text instant precision utcOffset }
              }
            }
          }
        }
      }
    }
  }
`;

interface DateValue {
  text: string;
  instant: string | null;
  precision: string | null;
  utcOffset: string | null;
}
interface FileNode {
  databaseId: number;
  created: string;
  creationDate: string | null;
  startDate: string | null;
  endDate: string | null;
  metadata: Record<string, unknown>;
  metadataDates: { creation: DateValue | null; start: DateValue | null; end: DateValue | null };
}

async function ownFiles(token: string): Promise<FileNode[]> {
  const res = await stack.execute<{
    viewer: { member: { dataFiles: { edges: Array<{ node: FileNode }> } } };
  }>(DATES, {}, { token });
  expect(res.errors).toBeUndefined();
  return res.data?.viewer.member.dataFiles.edges.map((e) => e.node) ?? [];
}

// The forms of the issue, each with the instant and precision Open Humans reads from it.
const CASES: Array<[string, string, string, string | null]> = [
  ['2019-01', '2019-01-01T00:00:00.000Z', 'MONTH', null],
  ['2019', '2019-01-01T00:00:00.000Z', 'YEAR', null],
  ['20190101', '2019-01-01T00:00:00.000Z', 'DAY', null],
  ['2019-01-01T10', '2019-01-01T10:00:00.000Z', 'HOUR', null],
  ['2019-01-01T1030', '2019-01-01T10:30:00.000Z', 'MINUTE', null],
  ['2019-032', '2019-02-01T00:00:00.000Z', 'DAY', null],
  ['2019-W01-2', '2019-01-01T00:00:00.000Z', 'DAY', null],
  ['2019-01-01T10:00:00,5Z', '2019-01-01T10:00:00.500Z', 'FRACTION', '+00:00'],
  ['2019-01-01T10:00:00+05', '2019-01-01T05:00:00.000Z', 'SECOND', '+05:00'],
  ['2019-01-01T10:00:00.123456Z', '2019-01-01T10:00:00.123456Z', 'FRACTION', '+00:00'],
];

describe('metadata dates', () => {
  it('every form Open Humans accepts is stored as sent and read back as set', async () => {
    const member = someMember(stack, 3);
    const ids = new Map<number, string>();
    for (const [text] of CASES) {
      const res = uploadResult(
        await upload(stack, {
          token: member.token,
          file: someBytes(20),
          metadata: {
            description: text,
            tags: [],
            creationDate: text,
            startDate: text,
            endDate: text,
          },
        }),
      );
      expect(res.__typename, `${text}: ${res.message ?? ''}`).toBe('UploadDataFilePayload');
      ids.set(res.databaseId ?? 0, text);
    }
    const files = (await ownFiles(member.token)).filter((f) => ids.has(f.databaseId));
    expect(files).toHaveLength(CASES.length);
    for (const file of files) {
      const text = ids.get(file.databaseId) ?? '';
      const [, instant, precision, utcOffset] = CASES.find(([t]) => t === text) ?? [];
      expect(file.metadata.creation_date, 'stored unchanged upstream').toBe(text);
      const value = { text, instant, precision, utcOffset };
      expect(file.metadataDates).toEqual({ creation: value, start: value, end: value });
      expect([file.creationDate, file.startDate, file.endDate]).toEqual([
        instant,
        instant,
        instant,
      ]);
    }
  });

  it('values Open Humans fails on are refused before any upstream call', async () => {
    const member = someMember(stack, 3);
    stack.sandbox.resetCalls();
    for (const text of ['2019-02-29', '2019-01-01T25:00', '2019-W54-1']) {
      const res = uploadResult(
        await upload(stack, {
          token: member.token,
          file: someBytes(20),
          metadata: { description: '', tags: [], endDate: text },
        }),
      );
      expect(res.__typename).toBe('InvalidInputError');
      expect(res.message).toBe('Dates must be in ISO 8601 format');
      expect(res.field).toBe('input.metadata.endDate');
    }
    expect(stack.sandbox.calls().D6).toBeUndefined();
  });

  it('a file without dates has null dates', async () => {
    const member = someMember(stack, 3);
    const res = uploadResult(await upload(stack, { token: member.token, file: someBytes(20) }));
    const file = (await ownFiles(member.token)).find((f) => f.databaseId === res.databaseId);
    expect(file?.metadataDates).toEqual({ creation: null, start: null, end: null });
    expect(file?.creationDate).toBeNull();
  });
});

describe('DateTime precision', () => {
  it("keeps the upstream's microseconds (DataFile.created and Member.created)", async () => {
    const member = someMember(stack, 3);
    const res = await request(
      `${stack.sandbox.url}/api/direct-sharing/project/exchange-member/?access_token=${member.token}`,
    );
    const raw = (await res.body.json()) as {
      created: string;
      data: Array<{ id: number; created: string }>;
    };
    const files = await ownFiles(member.token);
    expect(raw.data.length).toBeGreaterThan(0);
    for (const wire of raw.data) {
      expect(wire.created).toMatch(/\.\d{6}Z$/);
      expect(files.find((f) => f.databaseId === wire.id)?.created).toBe(wire.created);
    }
    const viewer = await stack.execute<{ viewer: { member: { created: string } } }>(
      '{ viewer { member { created } } }',
      {},
      { token: member.token },
    );
    expect(viewer.data?.viewer.member.created).toBe(raw.created);
  });
});
