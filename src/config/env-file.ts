/**
 * `.env` support for `npm start` and `npm run demo`, with Node's own loader
 * (`process.loadEnvFile`, Node 20.12+): no dependency, and the same parsing as `node --env-file`.
 * Variables already set in the environment win over the file, so a deployment's settings are
 * never replaced by a stray `.env`. Read once, before `loadConfig`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './reader.js';

/**
 * Loads `.env` from the working directory when it exists; returns its path, or null when there
 * is none (or this Node has no loader, then the file is named in a ConfigError).
 * @throws ConfigError when the file exists but cannot be read.
 */
export function loadEnvFileIfPresent(file = '.env', cwd = process.cwd()): string | null {
  const path = resolve(cwd, file);
  if (!existsSync(path)) return null;
  if (typeof process.loadEnvFile !== 'function') {
    throw new ConfigError([
      `${file} exists but this Node.js (${process.version}) cannot load it: use Node.js 20.12 or newer`,
    ]);
  }
  try {
    process.loadEnvFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigError([
      `${file} cannot be read (${typeof code === 'string' ? code : 'unreadable'})`,
    ]);
  }
  return path;
}
