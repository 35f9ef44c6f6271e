// Programmatic entry point (sandbox/README.md): a sandbox in-process, e.g. on port 0 in tests.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  type ConcurrencyCounters,
  Controls,
  type FaultConfig,
  type Latency,
  type RequestLogEntry,
} from './controls.js';
import { generate } from './data/generate.js';
import { SandboxStore } from './data/store.js';
import { DEFAULT_SIZES, type RouteId, type SandboxSizes } from './data/types.js';
import { createSandboxServer } from './server.js';
import { S3_BUCKET } from './signing.js';
import type { SandboxState } from './state.js';

export type {
  ConcurrencyCounters,
  FaultConfig,
  FaultRule,
  Latency,
  RequestLogEntry,
} from './controls.js';
export { SandboxStore } from './data/store.js';
export type { RouteId, SandboxSizes } from './data/types.js';

export interface SandboxOptions {
  /** Default 0 (tests); the CLI defaults to 8100. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 1; all data is deterministic from it. */
  seed?: number;
  sizes?: Partial<SandboxSizes>;
  /** Injected per API call. */
  latency?: Latency;
  /** Deauthorization webhook of the own project. */
  webhook?: { url: string; secret?: string };
  /** 'hash' keeps only size+md5 of uploads (multi-GB tests). */
  storage?: 'memory' | 'hash';
  /** Clock (epoch ms), for expiry tests. Default Date.now. */
  now?: () => number;
}

export interface SandboxInfo {
  url: string;
  masterToken: string;
  /** projectMemberId → OAuth2 access token, for every active member of the own project. */
  memberTokens: Record<string, string>;
  clientId: string;
  clientSecret: string;
  projectId: number;
}

export interface Sandbox extends SandboxInfo {
  secondProject: { projectId: number; masterToken: string; memberTokens: Record<string, string> };
  expiredMasterToken: string;
  expiredMemberToken: string;
  /** The current data (a data reset replaces it). */
  readonly store: SandboxStore;
  /** Shared state, for route modules and white-box tests. */
  state: SandboxState;
  calls(): Record<RouteId, number>;
  resetCalls(): void;
  /** Request log since the last reset, tokens redacted. */
  requests(): RequestLogEntry[];
  /** API calls in flight and connections open, now and at most since the last reset. */
  concurrency(): ConcurrencyCounters;
  setLatency(latency: Latency): void;
  setFaults(config: FaultConfig): void;
  clearFaults(): void;
  /** Counters + log; with `data: true` also regenerates the data from the seed. */
  reset(options?: { data?: boolean; faults?: boolean }): void;
  info(): SandboxInfo;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const sizes: SandboxSizes = { ...DEFAULT_SIZES, ...options.sizes };
  const build = () =>
    generate({ seed, sizes, now: now(), ...(options.webhook ? { webhook: options.webhook } : {}) });
  let gen = build();
  const state: SandboxState = {
    store: new SandboxStore(gen.data),
    ownProjectId: gen.ownProjectId,
    secondProjectId: gen.secondProjectId,
    expiredProjectId: gen.expiredProjectId,
    expiredMemberToken: gen.expiredMemberToken,
    seed,
    sizes,
    now,
    controls: new Controls(options.latency),
    secret: randomBytes(32),
    s3: {
      bucket: S3_BUCKET,
      accessKeyId: 'AKIASANDBOXFAKEKEY00',
      secretAccessKey: randomBytes(30).toString('base64'),
    },
    baseUrl: '',
    storage: options.storage ?? 'memory',
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ext: new Map(),
  };
  state.ext.set('resetData', () => {
    gen = build();
    state.store = new SandboxStore(gen.data);
    state.expiredMemberToken = gen.expiredMemberToken;
  });

  const server = createSandboxServer(state);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const tokensOf = (projectId: number): Record<string, string> => {
    const out: Record<string, string> = {};
    const { store } = state;
    for (const t of store.accessTokensOf(projectId)) {
      const m = store.membership(projectId, t.userId);
      if (m && store.isActive(m) && t.expires > now() && t.token !== state.expiredMemberToken)
        out[m.projectMemberId] = t.token;
    }
    return out;
  };
  const info = (): SandboxInfo => {
    const own = state.store.project(state.ownProjectId);
    return {
      url: state.baseUrl,
      masterToken: own?.masterToken ?? '',
      memberTokens: tokensOf(state.ownProjectId),
      clientId: own?.oauth2?.clientId ?? '',
      clientSecret: own?.oauth2?.clientSecret ?? '',
      projectId: state.ownProjectId,
    };
  };

  const first = info();
  const sandbox: Sandbox = {
    ...first,
    get store() {
      return state.store;
    },
    state,
    secondProject: {
      projectId: state.secondProjectId,
      masterToken: state.store.project(state.secondProjectId)?.masterToken ?? '',
      memberTokens: tokensOf(state.secondProjectId),
    },
    expiredMasterToken: state.store.project(state.expiredProjectId)?.masterToken ?? '',
    expiredMemberToken: state.expiredMemberToken,
    calls: () => state.controls.calls(),
    resetCalls: () => state.controls.resetCalls(),
    requests: () => state.controls.requests(),
    concurrency: () => state.controls.concurrency(),
    setLatency: (l) => state.controls.setLatency(l),
    setFaults: (c) => state.controls.setFaults(c),
    clearFaults: () => state.controls.clearFaults(),
    reset: (o = {}) => {
      state.controls.resetCalls();
      if (o.faults) state.controls.clearFaults();
      if (o.data) (state.ext.get('resetData') as () => void)();
    },
    info,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return sandbox;
}
