// Everything a route handler can reach: the data, the clock, the controls and the signing secret.

import type { Controls } from './controls.js';
import type { SandboxStore } from './data/store.js';
import type { SandboxSizes } from './data/types.js';
import type { S3Credentials } from './signing.js';

export interface SandboxState {
  /** Current data (replaced on a data reset). */
  store: SandboxStore;
  ownProjectId: number;
  secondProjectId: number;
  expiredProjectId: number;
  expiredMemberToken: string;
  seed: number;
  sizes: SandboxSizes;
  /** Injected clock, epoch ms. */
  now(): number;
  controls: Controls;
  /** HMAC key for download keys and S3-like signed URLs (random per instance). */
  secret: Buffer;
  /** The S3-like bucket's credentials (downloads' signed GETs, part 2's presigned PUTs). */
  s3: S3Credentials;
  /** Base URL of this sandbox, e.g. http://127.0.0.1:8100 (set once listening). */
  baseUrl: string;
  storage: 'memory' | 'hash';
  webhook?: { url: string; secret?: string };
  /** Free slots for other route modules' state (e.g. part 2's sent messages, webhooks). */
  ext: Map<string, unknown>;
}
