import { describe, expect, it } from 'vitest';
import type { DeauthorizationEventStore } from '../../src/events/deauthorization-event.js';
import { MemoryDeauthorizationEventStore } from '../../src/events/memory-store.js';
import { createLogger } from '../../src/logger.js';
import { handleDeauthorizationWebhook } from '../../src/webhooks/deauthorize-webhook.js';

const BODY =
  '{"project_member_id": "12345678", "erasure_requested": false, "timestamp": "2026-01-01T00:00:00.000000+00:00"}';
const NOW = new Date('2026-01-01T00:01:00Z');
const PROJECT = 471;

function call(store: DeauthorizationEventStore, lines: string[], storeTimeoutMs?: number) {
  const request = new Request('http://gateway.test/webhooks/openhumans/deauthorize', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  return handleDeauthorizationWebhook(request, {
    path: '/x',
    projectId: PROJECT,
    secret: null,
    acceptUnsigned: true,
    toleranceMs: 900_000,
    store,
    logger,
    storeTimeoutMs,
    now: () => NOW,
  });
}

/** A store whose append fails or never settles (Redis down, or stuck). */
function brokenStore(append: () => Promise<never>): DeauthorizationEventStore {
  const inner = new MemoryDeauthorizationEventStore({ projectId: PROJECT });
  return {
    ...inner,
    append,
    listAfter: (a, l) => inner.listAfter(a, l),
    subscribe: (f) => inner.subscribe(f),
    close: () => inner.close(),
  };
}

describe('webhook answer when the event store fails', () => {
  it('answers 503 (so Open Humans retries) when the store refuses', async () => {
    const lines: string[] = [];
    const res = await call(
      brokenStore(() => Promise.reject(new Error('redis: ECONNREFUSED'))),
      lines,
    );
    expect(res.status).toBe(503);
    expect(lines.join('\n')).toMatch(/could not be stored/);
  });

  it('answers 503 instead of hanging when the store does not answer in time', async () => {
    const lines: string[] = [];
    const res = await call(
      brokenStore(() => new Promise<never>(() => {})),
      lines,
      50,
    );
    expect(res.status).toBe(503);
  });

  it('logs the member id only at debug level', async () => {
    const lines: string[] = [];
    const res = await call(new MemoryDeauthorizationEventStore({ projectId: PROJECT }), lines);
    expect(res.status).toBe(200);
    const withId = lines.filter((l) => l.includes('12345678'));
    expect(withId.length).toBe(1);
    expect(JSON.parse(withId[0] ?? '{}')).toMatchObject({ level: 'debug' });
  });
});
