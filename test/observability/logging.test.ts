/**
 * Log lines of real requests: JSON (pino), the request id on every line written while a
 * request is handled, no token anywhere (header, query string, upstream error), personal
 * fields only at debug level.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { Stack } from '../helpers/stack.js';
import { findSecrets, startStack } from '../helpers/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { LOG_LEVEL: 'debug' } });
});

afterAll(async () => {
  await stack?.close();
});

const parsed = (lines: string[]) =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('request logs', () => {
  it('carry the request id on every line written during a request', async () => {
    const from = stack.logLines.length;
    const res = await stack.execute(
      '{ viewer { tokenKind } missing: project(databaseId: 987654) { name } }',
      {},
      { token: stack.sandbox.masterToken, headers: { 'x-request-id': 'obs-req-1' } },
    );
    expect(res.headers.get('x-request-id')).toBe('obs-req-1');
    const lines = parsed(stack.logLines.slice(from));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line, JSON.stringify(line)).toMatchObject({
        requestId: 'obs-req-1',
        level: expect.any(String),
        time: expect.any(String),
      });
    }
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({
      method: 'POST',
      path: '/graphql',
      status: 200,
    });
  });

  it('contain no token: header, query string, invalid and expired tokens, upstream errors', async () => {
    const { sandbox } = stack;
    const tokens = [
      sandbox.masterToken,
      sandbox.expiredMasterToken,
      'fake-invalid-token-logging-0001',
      ...Object.values(sandbox.memberTokens).slice(0, 2),
    ];
    const from = stack.logLines.length;
    const bodies: string[] = [];
    for (const token of tokens) {
      const res = await stack.execute('{ viewer { tokenKind project { name } } }', {}, { token });
      bodies.push(res.text);
    }
    // A token in a GET URL (it must never reach the access log).
    const get = await stack.fetch(
      `/graphql?query=${encodeURIComponent('{ __typename }')}&access_token=${sandbox.masterToken}`,
      {
        headers: { accept: 'application/json' },
      },
    );
    bodies.push(await get.text());
    // An unexpected error and a malformed Authorization header.
    bodies.push(
      (
        await stack.execute(
          '{ __typename }',
          {},
          { headers: { authorization: `Basic ${sandbox.masterToken}` } },
        )
      ).text,
    );
    const lines = stack.logLines.slice(from);
    expect(lines.length).toBeGreaterThan(tokens.length);
    expect(findSecrets([...lines, ...bodies], tokens)).toEqual([]);
  });
});

describe('logger', () => {
  it('keeps usernames and member names at debug level only', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    logger.info('member seen', {
      username: 'alice-example',
      memberName: 'Alice Example',
      projectId: 7,
    });
    logger.debug('member seen', { username: 'alice-example' });
    const [info, debug] = parsed(lines);
    expect(info).toMatchObject({
      level: 'info',
      username: '[REDACTED]',
      memberName: '[REDACTED]',
      projectId: 7,
    });
    expect(debug).toMatchObject({ level: 'debug', username: 'alice-example' });
  });

  it('redacts download keys, S3 signatures and client secrets in any field', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    logger.warn('download', {
      url: 'http://h/data-management/datafile-download/1/?key=fake-download-key-1',
      s3: 'http://s3/b/o?Signature=fake-sig-2&Expires=1',
      form: 'grant_type=authorization_code&code=fake-code-3&client_secret=fake-secret-4',
      headers: { Authorization: 'Bearer fake-bearer-5' },
    });
    expect(
      findSecrets(lines, [
        'fake-download-key-1',
        'fake-sig-2',
        'fake-code-3',
        'fake-secret-4',
        'fake-bearer-5',
      ]),
    ).toEqual([]);
    expect(lines).toHaveLength(1);
  });
});
