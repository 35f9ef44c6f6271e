import { randomBytes } from 'node:crypto';

/** Python's `uuid1()` text form: time-based, as production's upload paths use. */
export function uuid1(nowMs: number): string {
  // 100-ns intervals since 1582-10-15.
  const t = BigInt(Math.floor(nowMs)) * 10000n + 0x01b21dd213814000n;
  const timeLow = (t & 0xffffffffn).toString(16).padStart(8, '0');
  const timeMid = ((t >> 32n) & 0xffffn).toString(16).padStart(4, '0');
  const timeHi = (((t >> 48n) & 0x0fffn) | 0x1000n).toString(16).padStart(4, '0');
  const rnd = randomBytes(8);
  const clockSeq = ((((rnd[0] ?? 0) & 0x3f) | 0x80) * 256 + (rnd[1] ?? 0))
    .toString(16)
    .padStart(4, '0');
  return `${timeLow}-${timeMid}-${timeHi}-${clockSeq}-${rnd.subarray(2, 8).toString('hex')}`;
}

/** `member-files/direct-sharing-<project>/<uuid1>/<filename>` (data_import/utils.py). */
export function uploadKey(projectId: number, filename: string, nowMs: number): string {
  return `member-files/direct-sharing-${projectId}/${uuid1(nowMs)}/${filename}`;
}

/** `os.path.basename` of a key. */
export function keyBasename(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
