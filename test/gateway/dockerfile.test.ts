import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

describe('Dockerfile', () => {
  it('passes the Dockerfile linter (dockerfile-utils, from npm)', async () => {
    const bin = new URL('node_modules/.bin/dockerfile-utils', root).pathname;
    const { stdout, stderr } = await run(bin, ['lint', 'Dockerfile'], { cwd: root.pathname });
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it('builds with tsc, runs the compiled JS as a non-root user with production dependencies only', async () => {
    const text = await readFile(new URL('Dockerfile', root), 'utf8');
    const stages = text.match(/^FROM .+$/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(3);
    // Every stage starts from the slim Node image or from an earlier stage.
    expect(stages.every((s) => /node:\$\{NODE_VERSION\}-bookworm-slim|^FROM deps /.test(s))).toBe(
      true,
    );
    expect(text).toMatch(/^ARG NODE_VERSION=(22|24)$/m);
    expect(text).toMatch(/^RUN npm run build$/m);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/NODE_ENV=production/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    // The compiled entry point, after the gateway's Node flags (test/bench/node-flags.test.ts).
    expect(text).toMatch(/^CMD \["node", (?:"--[^"]+", )*"dist\/src\/main\.js"\]$/m);
    const build = JSON.parse(await readFile(new URL('tsconfig.build.json', root), 'utf8')) as {
      include: string[];
    };
    expect(build.include).toContain('src');
  });

  it('keeps secrets and local clutter out of the build context', async () => {
    const ignore = (await readFile(new URL('.dockerignore', root), 'utf8'))
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['.git', 'node_modules', 'dist', 'test', '.env', '.env.*'])
      expect(ignore).toContain(entry);
  });
});
