import type { Dispatcher } from 'undici';
import { FormData as UndiciFormData, request as undiciRequest } from 'undici';
import type { UpstreamSpan } from '../observability/upstream-spans.js';
import { startUpstreamSpan } from '../observability/upstream-spans.js';
import { redactSecret, redactUrl } from '../redact.js';
import { USER_AGENT } from '../version.js';
import { describeFailure, targetOf } from './connection-failure.js';
import { classify, htmlSummary, isHtml, statusDetail } from './open-humans-http-support.js';
import type {
  CallContext,
  ExchangeResult,
  OpenHumansHttpOptions,
  PresignedPut,
  UpstreamCallEvent,
  UpstreamRequest,
} from './open-humans-http-types.js';
import { combinedSignal, currentDeadline, timeoutSignal } from './resilience/deadline.js';
import { Resilience } from './resilience/index.js';
import { currentBudget } from './resilience/request-budget.js';
import { parseRetryAfter } from './resilience/retry.js';
import type { RouteId } from './routes.js';
import type { UpstreamFailure } from './upstream-error.js';
import { UpstreamError } from './upstream-error.js';

export type {
  Auth,
  OpenHumansHttpOptions,
  PresignedPut,
  QueryValue,
  RequestBody,
  UpstreamCallEvent,
  UpstreamRequest,
} from './open-humans-http-types.js';
export { isUpstreamError, toGatewayError, UpstreamError } from './upstream-error.js';

/**
 * The ONLY module that talks HTTP to Open Humans (and to the S3-like storage it hands out URLs
 * for). One place for: URL resolution against the configured base, auth placement, the
 * User-Agent, timeouts on every call, always consuming bodies, JSON parsing and turning every
 * failure into an `UpstreamError` whose text is redacted. Every call runs through `Resilience`
 * (src/datasources/resilience/): the request's deadline, the breaker of its route class, the
 * concurrency cap, and retries of GETs.
 *
 * De-duplication is deliberately NOT done here: identical public GETs share one call through
 * `PublicCache.getOrLoad` (process-wide, token-free only) and everything per request goes
 * through DataLoaders created per request, which dedupe by key.
 */
export class OpenHumansHttp {
  readonly baseUrl: string;
  readonly resilience: Resilience;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: OpenHumansHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.maxResponseBytes = options.maxResponseBytes ?? 32 * 1024 * 1024;
    this.resilience = options.resilience ?? new Resilience();
  }

  /** The absolute URL for a request (with the token when sent as a query parameter). */
  buildUrl(req: Pick<UpstreamRequest, 'path' | 'query' | 'auth'>): URL {
    if (!req.path.startsWith('/') || req.path.startsWith('//')) {
      throw new Error(`Upstream path must be relative to the base URL: ${redactUrl(req.path)}`);
    }
    const url = new URL(this.baseUrl + req.path);
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    if (req.auth?.via === 'query') url.searchParams.set('access_token', req.auth.token);
    return url;
  }

  /**
   * Sends one request and returns the parsed JSON body (`undefined` for an empty body).
   * @throws UpstreamError on any failure (non-2xx, timeout, connection, unreadable body).
   */
  async request<T>(req: UpstreamRequest): Promise<T> {
    const url = this.buildUrl(req);
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      accept: 'application/json',
      ...req.headers,
    };
    if (req.auth?.via === 'header') headers.authorization = `Bearer ${req.auth.token}`;
    let body: string | UndiciFormData | undefined;
    if (req.body && 'json' in req.body) {
      body = JSON.stringify(req.body.json);
      headers['content-type'] = 'application/json';
    } else if (req.body && 'form' in req.body) {
      body = new URLSearchParams(req.body.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.body && 'multipart' in req.body) {
      body = toUndiciFormData(req.body.multipart); // undici sets the content-type and boundary
    }
    const context: CallContext = {
      route: req.route,
      method: req.method,
      url: redactSecret(redactUrl(url), req.auth?.token),
      hadToken: Boolean(req.auth?.token),
      secret: req.auth?.token,
    };
    // Not sent at all (breaker open, queue full, deadline spent): an error, but no observed call.
    const { secret: _secret, ...safeContext } = context;
    const fail = (kind: UpstreamFailure, detail: string): UpstreamError =>
      new UpstreamError(kind, { ...safeContext, detail });
    return this.resilience.run(
      { route: req.route, method: req.method, signal: req.signal },
      async (signal, release) => {
        const res = await this.exchange(
          url,
          {
            method: req.method,
            headers,
            body: body as Dispatcher.DispatchOptions['body'],
            signal,
            // An upload may legitimately take long; it is bounded by the idle timeouts only.
            noDeadline: body instanceof UndiciFormData,
          },
          context,
        );
        // The answer is in: its slot of the upstream budget goes to the next call now, before
        // this one is parsed (Open Humans is done with it; our CPU time is no upstream load).
        release();
        return noteTokenVerdict(req.auth?.token, () => this.parse<T>(res, res.attempt ?? context));
      },
      fail,
    );
  }

  /**
   * Streams a body to an absolute pre-signed URL with `PUT` (uploads to S3). Never retried.
   * @returns the status and the `ETag` (S3: the MD5 of the object, quoted).
   */
  async putPresigned(put: PresignedPut): Promise<{ status: number; etag: string | undefined }> {
    const url = new URL(put.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error('Pre-signed URL must be http(s)');
    const started = performance.now();
    const context = { route: put.route, method: 'PUT', url: redactUrl(url), hadToken: false };
    let res: Dispatcher.ResponseData;
    try {
      res = await undiciRequest(url, {
        method: 'PUT',
        dispatcher: this.options.dispatcher,
        headers: { 'user-agent': USER_AGENT, 'content-length': String(put.contentLength) },
        body: put.body,
        signal: put.signal,
        headersTimeout: put.headersTimeoutMs ?? this.options.headersTimeoutMs,
        bodyTimeout: this.options.bodyTimeoutMs,
      });
    } catch (err) {
      throw this.failed(classify(err, put.signal), context, started, { cause: err });
    }
    const text = await this.readText(res, context, started, put.signal);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      // S3 errors are XML; keep only the error code, never the echoed signature or key.
      const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
      throw this.failed('status', context, started, { status: res.statusCode, detail: code });
    }
    this.observe(put.route, 'PUT', res.statusCode, 'ok', started);
    const etag = res.headers.etag;
    return { status: res.statusCode, etag: Array.isArray(etag) ? etag[0] : etag };
  }

  /**
   * Sends and reads the whole response; failures before a status is known become UpstreamErrors.
   */
  private async exchange(
    url: URL,
    init: {
      method: 'GET' | 'POST';
      headers: Record<string, string>;
      body: Dispatcher.DispatchOptions['body'];
      signal?: AbortSignal;
      noDeadline?: boolean;
    },
    context: CallContext,
  ): Promise<ExchangeResult> {
    const started = performance.now();
    // One span per attempt; its traceparent goes out with the call.
    const span = startUpstreamSpan({
      route: context.route,
      method: init.method,
      redactedUrl: context.url,
      url,
    });
    if (span) context = { ...context, span };
    const totalMs =
      this.options.totalTimeoutMs ?? this.options.headersTimeoutMs + this.options.bodyTimeoutMs;
    // Inside a request whose deadline ends first, `init.signal` (Resilience.run's, which always
    // follows the request's deadline) already bounds the call: no timer or signal of our own,
    // the per-call cost that mattered at 52 calls a query. Otherwise a timer and listeners of
    // our own, released after the call: per-call AbortSignal.timeout + AbortSignal.any pairs
    // outlived their calls (a growing heap under load on Node 24).
    const timeout =
      init.noDeadline || (currentDeadline()?.remainingMs() ?? Number.POSITIVE_INFINITY) <= totalMs
        ? undefined
        : timeoutSignal(totalMs);
    const deadline = timeout?.signal;
    const combined = timeout ? combinedSignal(init.signal, deadline) : undefined;
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await undiciRequest(url, {
          method: init.method,
          dispatcher: this.options.dispatcher,
          headers: span ? { ...init.headers, ...span.headers } : init.headers,
          body: init.body,
          signal: combined ? combined.signal : init.signal,
          headersTimeout: this.options.headersTimeoutMs,
          bodyTimeout: this.options.bodyTimeoutMs,
        });
      } catch (err) {
        throw this.failed(classify(err, init.signal, deadline), context, started, { cause: err });
      }
      const text = await this.readText(res, context, started, init.signal, deadline);
      const contentType = String(res.headers['content-type'] ?? '').toLowerCase();
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      return { status: res.statusCode, contentType, text, started, retryAfterMs, attempt: context };
    } finally {
      timeout?.release();
      combined?.release();
    }
  }

  /** Reads the whole body as text (bounded); on any error the body is destroyed, never leaked. */
  private async readText(
    res: Dispatcher.ResponseData,
    context: CallContext,
    started: number,
    signal: AbortSignal | undefined,
    deadline?: AbortSignal,
  ): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.maxResponseBytes) {
          res.body.destroy();
          throw this.failed('bad_response', context, started, {
            status: res.statusCode,
            detail: `response larger than ${this.maxResponseBytes} bytes`,
          });
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      res.body.destroy();
      throw this.failed(classify(err, signal, deadline), context, started, {
        status: res.statusCode,
        cause: err,
      });
    }
    // One chunk (most small bodies) is decoded as it is; more are joined once, at their known size.
    const whole = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
    return whole ? whole.toString('utf8') : '';
  }

  private parse<T>(res: ExchangeResult, context: CallContext): T {
    const { status, contentType, text, started, retryAfterMs } = res;
    const html = isHtml(contentType, text);
    let json: unknown;
    let parsed = false;
    if (!html && text.trim() !== '') {
      try {
        json = JSON.parse(text);
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    if (status < 200 || status >= 300) {
      const detail = statusDetail(text, html, parsed, json);
      throw this.failed('status', context, started, {
        status,
        detail,
        html,
        body: parsed ? json : undefined,
        retryAfterMs,
      });
    }
    if (text.trim() === '') {
      this.observe(context.route, context.method, status, 'ok', started, context.span);
      return undefined as T;
    }
    if (!parsed) {
      const detail = html
        ? `HTML instead of JSON: ${htmlSummary(text) ?? 'page'}`
        : 'unparseable JSON';
      throw this.failed('bad_response', context, started, { status, detail, html });
    }
    this.observe(context.route, context.method, status, 'ok', started, context.span);
    return json as T;
  }

  private failed(
    kind: UpstreamFailure,
    context: CallContext,
    started: number,
    extra: {
      status?: number;
      detail?: string;
      html?: boolean;
      body?: unknown;
      cause?: unknown;
      retryAfterMs?: number;
    },
  ): UpstreamError {
    this.observe(context.route, context.method, extra.status, kind, started, context.span);
    if ((kind === 'connection' || kind === 'timeout') && extra.cause !== undefined)
      this.report(kind, context, extra.cause);
    const { secret, span: _span, ...safe } = context;
    // The upstream may echo the token anywhere (e.g. a debug page, a detail text): redact the
    // known token itself, not only the patterns `redactText` recognises.
    const detail = extra.detail === undefined ? undefined : redactSecret(extra.detail, secret);
    const body =
      extra.body === undefined
        ? undefined
        : (JSON.parse(redactSecret(JSON.stringify(extra.body), secret)) as unknown);
    return new UpstreamError(kind, { ...safe, ...extra, detail, body });
  }

  /** Tells `onFailure` why a call could not connect or timed out; must not break the call. */
  private report(kind: 'connection' | 'timeout', context: CallContext, cause: unknown): void {
    if (!this.options.onFailure) return;
    try {
      const { route, method, url } = context;
      this.options.onFailure({
        route,
        method,
        target: targetOf(url),
        ...describeFailure(cause, kind === 'timeout'),
      });
    } catch {
      // A log hook must never break a call.
    }
  }

  private observe(
    route: RouteId,
    method: string,
    status: number | undefined,
    outcome: UpstreamCallEvent['outcome'],
    started: number,
    span?: UpstreamSpan,
  ): void {
    span?.end(status, outcome);
    if (!this.options.onCall) return;
    try {
      this.options.onCall({
        route,
        method,
        status,
        outcome,
        durationMs: performance.now() - started,
      });
    } catch {
      // An observer must never break a call.
    }
  }
}

/**
 * Tells the request's budget whether Open Humans accepted its token (2xx) or refused it (401):
 * the rate limit gives a token its own bucket only once it has been accepted.
 */
function noteTokenVerdict<T>(token: string | undefined, parse: () => T): T {
  const budget = token === undefined ? undefined : currentBudget();
  if (!budget || token === undefined) return parse();
  try {
    const value = parse();
    budget.noteTokenVerdict(token, true);
    return value;
  } catch (err) {
    if (err instanceof UpstreamError && err.status === 401) budget.noteTokenVerdict(token, false);
    throw err;
  }
}

/** undici 7 streams only its own FormData (Node's global one is from its bundled undici). */
function toUndiciFormData(form: FormData | UndiciFormData): UndiciFormData {
  if (form instanceof UndiciFormData) return form;
  const copy = new UndiciFormData();
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') copy.append(name, value);
    else copy.append(name, value, (value as File).name);
  }
  return copy;
}
