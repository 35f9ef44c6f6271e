import type { UpstreamSpan } from '../observability/upstream-spans.js';

/**
 * The HTTP layer's request, event and option shapes (`open-humans-http.ts`, which re-exports the
 * public ones).
 */

import type { Readable } from 'node:stream';
import type { Dispatcher, FormData as UndiciFormData } from 'undici';
import type { UpstreamFailureReport } from './connection-failure.js';
import type { Resilience } from './resilience/index.js';
import type { RouteId } from './routes.js';
import type { UpstreamFailure } from './upstream-error.js';

/**
 * How to send a token: `Authorization: Bearer` or `?access_token=` (D2 only works with the latter).
 */
export interface Auth {
  token: string;
  via: 'header' | 'query';
}

export type QueryValue = string | number | boolean | undefined;

export type RequestBody =
  | { json: unknown }
  | { form: Record<string, string> }
  /** Streamed by undici: Blob/File parts are read chunk by chunk while sending. */
  | { multipart: FormData | UndiciFormData };

export interface UpstreamRequest {
  /** Route id for logs, metrics and error context (the route table, src/datasources/routes.ts). */
  route: RouteId;
  method: 'GET' | 'POST';
  /** Path below `OPENHUMANS_BASE_URL`, starting with `/` (never an absolute URL). */
  path: string;
  query?: Record<string, QueryValue>;
  auth?: Auth;
  body?: RequestBody;
  /** Extra headers (e.g. Basic client authentication for the OAuth2 token endpoint). */
  headers?: Record<string, string>;
  /** Aborts the call (e.g. the GraphQL request was cancelled or hit its deadline). */
  signal?: AbortSignal;
}

export interface PresignedPut {
  route: RouteId;
  /** Absolute pre-signed URL handed out by the upstream. */
  url: string;
  /**
   * S3 refuses a pre-signed PUT without Content-Length; no Content-Type (it breaks the signature).
   */
  body: Readable | Buffer;
  contentLength: number;
  signal?: AbortSignal;
  /**
   * Time allowed for the upload to be acknowledged after the last byte; @default headers timeout
   */
  headersTimeoutMs?: number;
}

/** Observed after every call, successful or not (for metrics and logs; must not throw). */
export interface UpstreamCallEvent {
  route: RouteId;
  method: string;
  status: number | undefined;
  outcome: 'ok' | UpstreamFailure;
  durationMs: number;
}

export interface OpenHumansHttpOptions {
  /** `OPENHUMANS_BASE_URL`, without a trailing slash. */
  baseUrl: string;
  /** The shared keep-alive dispatcher, created once (`createDispatcher`). */
  dispatcher: Dispatcher;
  headersTimeoutMs: number;
  /** Longest pause between two body chunks. */
  bodyTimeoutMs: number;
  /**
   * Deadline for a whole call, so a body that trickles in slowly cannot hold a request forever.
   * @default headersTimeoutMs + bodyTimeoutMs
   */
  totalTimeoutMs?: number;
  /** Responses above this are refused (`bad_response`); @default 32 MiB */
  maxResponseBytes?: number;
  /** Observes every attempt (retries included). */
  onCall?: (event: UpstreamCallEvent) => void;
  /** Told why an attempt could not connect or timed out (DNS, refused, TLS, …), for the log. */
  onFailure?: (report: UpstreamFailureReport) => void;
  /**
   * Retries, circuit breakers and the concurrency cap (`resilienceFromConfig`). @default none of
   * them (one attempt per call); the request's deadline applies either way.
   */
  resilience?: Resilience;
}

/** One answer, read whole. */
export interface ExchangeResult {
  status: number;
  contentType: string;
  text: string;
  started: number;
  retryAfterMs: number | undefined;
  /** The context of this attempt (with its span), for parsing and observing it. */
  attempt?: CallContext;
}

/** What every error and observation of one call carries (the URL already redacted). */
export interface CallContext {
  route: RouteId;
  method: string;
  url: string;
  hadToken: boolean;
  /** The token of this call, only to redact it from what the upstream sends back. */
  secret?: string;
  /** The trace span of this attempt, ended when the attempt is observed. */
  span?: UpstreamSpan;
}
