import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { withRequestId } from '../../src/request-scope.js';

const capture = (level: 'debug' | 'info' | 'warn' = 'info') => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
};

describe('logger', () => {
  it('writes one JSON object per line, filtered by level', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.info('shown', { n: 1 });
    logger.error('bad');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'shown'],
      ['error', 'bad'],
    ]);
    expect(lines[0]).toMatchObject({ n: 1, time: expect.any(String) });
  });

  it('adds the request id of the current request scope and child bindings', () => {
    const { logger, lines } = capture();
    withRequestId('req-7', () => logger.child({ component: 'test' }).info('inside'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({ requestId: 'req-7', component: 'test', msg: 'inside' });
    expect(lines[1]?.requestId).toBeUndefined();
  });

  it('redacts secrets anywhere in a line and serialises errors with their cause', () => {
    const { logger, lines } = capture();
    const err = new Error('GET /x/?access_token=fake-secret-1 failed', {
      cause: new Error('Bearer fake-secret-2'),
    });
    logger.error('upstream failed', {
      err,
      url: 'https://h/?refresh_token=fake-secret-3',
      body: { access_token: 'fake-secret-4' },
    });
    const text = JSON.stringify(lines);
    for (const s of ['fake-secret-1', 'fake-secret-2', 'fake-secret-3', 'fake-secret-4'])
      expect(text).not.toContain(s);
    expect(lines[0]).toMatchObject({
      err: {
        name: 'Error',
        message: expect.stringContaining('[REDACTED]'),
        cause: { name: 'Error' },
      },
    });
  });
});
