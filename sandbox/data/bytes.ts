// Deterministic content of seeded files: CSV-like text, a pure function of (seed, file id, size),
// so downloads are reproducible and nothing is kept in memory between requests.
import { Rng } from './random.js';

const cache = new Map<string, Buffer>();
const CACHE_MAX = 256;

export function seededBytes(seed: number, fileId: number, size: number): Buffer {
  const cacheKey = `${seed}:${fileId}:${size}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const rng = new Rng((seed * 1_000_003) ^ fileId);
  const buf = Buffer.alloc(size);
  const header = `# open humans sandbox file ${fileId}\ntimestamp,value\n`;
  let pos = buf.write(header.slice(0, size), 0, 'latin1');
  let t = 1_500_000_000 + fileId;
  while (pos < size) {
    t += rng.int(1, 600);
    pos += buf.write(`${t},${rng.int(0, 99999)}\n`, pos, 'latin1');
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(cacheKey, buf);
  return buf;
}
