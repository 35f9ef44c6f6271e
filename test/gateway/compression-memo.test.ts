/**
 * Compression of repeated answers: an anonymous answer seen before is compressed once (the same
 * buffer comes back), and what comes back still decompresses to the body.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CompressionMemo } from '../../src/http/compression.js';
import { startStack } from '../helpers/stack.js';

const body = Buffer.from(
  JSON.stringify({
    data: { items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })) },
  }),
);

describe('CompressionMemo', () => {
  it('compresses a body once per encoding and returns the same bytes after', async () => {
    const memo = new CompressionMemo();
    const br = await memo.compress(body, 'br');
    expect(await memo.compress(Buffer.from(body), 'br')).toBe(br);
    expect(brotliDecompressSync(br).equals(body)).toBe(true);
    const gzip = await memo.compress(body, 'gzip');
    expect(gzip).not.toBe(br);
    expect(gunzipSync(gzip).equals(body)).toBe(true);
    // Another body is another entry.
    const other = Buffer.concat([body, Buffer.from(' ')]);
    expect(brotliDecompressSync(await memo.compress(other, 'br')).equals(other)).toBe(true);
  });

  it('the gateway answers a repeated compressed page with the same bytes it would compress afresh', async () => {
    const stack = await startStack();
    try {
      const fetchPage = async (headers: Record<string, string>): Promise<Buffer> => {
        const res = await stack.fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'accept-encoding': 'br', ...headers },
          body: JSON.stringify({
            query: '{ dataFiles(first: 50) { edges { node { databaseId basename } } } }',
          }),
        });
        expect(res.headers.get('content-encoding')).toBe('br');
        return Buffer.from(await res.arrayBuffer());
      };
      const first = brotliDecompressSync(await fetchPage({}));
      const second = brotliDecompressSync(await fetchPage({}));
      expect(second.equals(first)).toBe(true);
      expect(JSON.parse(first.toString()).data.dataFiles.edges).toHaveLength(50);
    } finally {
      await stack.close();
    }
  });
});
