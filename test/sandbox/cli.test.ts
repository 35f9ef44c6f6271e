// `npm run sandbox`: one JSON line with the connection info, then it keeps serving.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { get } from './sandbox-helpers.js';

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGTERM');
});

describe('sandbox CLI', () => {
  it('prints url, masterToken, memberTokens, clientId, clientSecret, projectId and serves', async () => {
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'sandbox/main.ts',
        '--port',
        '0',
        '--public-files',
        '300',
        '--users',
        '60',
        '--members',
        '20',
      ],
      {
        env: { ...process.env, SANDBOX_SEED: '3', SANDBOX_SECOND_PROJECT_MEMBERS: '4' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child = proc;
    const lines = createInterface({ input: proc.stdout });
    const first = await new Promise<string>((resolve) => lines.once('line', resolve));
    const info = JSON.parse(first) as Record<string, unknown>;
    expect(Object.keys(info)).toEqual([
      'url',
      'masterToken',
      'memberTokens',
      'clientId',
      'clientSecret',
      'projectId',
    ]);
    expect(Object.keys(info.memberTokens as object).length).toBeGreaterThan(10);
    const r = await get(`${String(info.url)}/api/direct-sharing/project/`, {
      headers: { authorization: `Bearer ${String(info.masterToken)}` },
    });
    expect(r.status).toBe(200);
    expect((r.json as { id: number }).id).toBe(info.projectId);
    const files = await get(`${String(info.url)}/api/public/datafiles/?limit=1`);
    expect((files.json as { count: number }).count).toBeGreaterThan(250);
  });

  it('rejects bad flags with a clear message', async () => {
    const bad = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts', '--port', 'abc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--port must be a non-negative integer');
  });
});
