// HTTP face of the test controls, under /__sandbox/ (apart from the API; never counted or logged).
import { isFaultConfig } from './controls.js';
import { type RouteContext, readBody, send } from './http.js';
import { handlePart2Control } from './routes/direct-sharing-controls.js';

function json(ctx: RouteContext, status: number, body: unknown): void {
  send(ctx, status, JSON.stringify(body), {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  });
}

async function jsonBody(ctx: RouteContext): Promise<unknown> {
  const raw = (await readBody(ctx.req, 1024 * 1024)).toString('utf8');
  return raw.trim() ? (JSON.parse(raw) as unknown) : {};
}

/** Hook for a data reset, set by index.ts (regenerates the store from the seed). */
export type ResetData = () => void;

export async function handleControls(ctx: RouteContext): Promise<void> {
  const { controls } = ctx.state;
  const path = ctx.url.pathname;
  const method = ctx.req.method ?? 'GET';
  let body: unknown;
  try {
    body = method === 'POST' ? await jsonBody(ctx) : undefined;
  } catch {
    return json(ctx, 400, { error: 'invalid JSON body' });
  }
  const obj = (body ?? {}) as Record<string, unknown>;
  if (path === '/__sandbox/calls' && method === 'GET') return json(ctx, 200, controls.calls());
  if (path === '/__sandbox/requests' && method === 'GET')
    return json(ctx, 200, controls.requests());
  if (path === '/__sandbox/concurrency' && method === 'GET')
    return json(ctx, 200, controls.concurrency());
  if (path === '/__sandbox/reset' && method === 'POST') {
    controls.resetCalls();
    if (obj.faults === true) controls.clearFaults();
    if (obj.data === true) (ctx.state.ext.get('resetData') as ResetData | undefined)?.();
    return json(ctx, 200, { ok: true });
  }
  if (path === '/__sandbox/faults') {
    if (method === 'GET') return json(ctx, 200, { rules: controls.faults() });
    if (method === 'DELETE') {
      controls.clearFaults();
      return json(ctx, 200, { ok: true });
    }
    if (method === 'POST') {
      if (!isFaultConfig(body))
        return json(ctx, 400, {
          error:
            'expected {"seed"?: number, "rules": [{"route": "P1"|"*", "kind": "status"|"hang"|"reset"|"truncate", "status"?, "probability"?, "times"?}]}',
        });
      controls.setFaults(body);
      return json(ctx, 200, { ok: true, rules: controls.faults() });
    }
  }
  if (path === '/__sandbox/latency') {
    if (method === 'GET') return json(ctx, 200, controls.latency);
    if (method === 'POST') {
      const ms = Number(obj.ms ?? 0);
      const jitterMs = Number(obj.jitterMs ?? 0);
      if (!Number.isFinite(ms) || !Number.isFinite(jitterMs))
        return json(ctx, 400, { error: 'expected {"ms": number, "jitterMs"?: number}' });
      controls.setLatency({ ms, jitterMs });
      return json(ctx, 200, controls.latency);
    }
  }
  if (path === '/__sandbox/info' && method === 'GET') {
    const s = ctx.state;
    return json(ctx, 200, {
      seed: s.seed,
      sizes: s.sizes,
      projectId: s.ownProjectId,
      secondProjectId: s.secondProjectId,
      files: s.store.fileCount(),
    });
  }
  if (await handlePart2Control(ctx, method, path, body)) return;
  return json(ctx, 404, { error: `unknown control ${method} ${path}` });
}
