import type { Plugin } from 'graphql-yoga';
import type { UploadSlot } from '../../datasources/writes/upload-capacity.js';
import type { GatewayError } from '../../errors.js';
import { ErrorCode } from '../../errors.js';
import type { MultipartLimits } from './multipart-session.js';
import { MultipartSession } from './multipart-session.js';
import { applyUploads, checkOperationsAndMap } from './operations-map.js';
import { MultipartRequestError } from './upload.js';
import type { UploadGuard } from './upload-admission.js';
import { admitUpload, isRefusal, unreferencedFile, unreferencedKeys } from './upload-admission.js';

/** Options of `useStreamingUploads`. */
export interface StreamingUploadOptions
  extends Partial<Omit<MultipartLimits, 'maxFileBytes' | 'tmpDir'>> {
  /** Largest accepted file, in bytes (config `MAX_UPLOAD_BYTES`). */
  maxFileBytes: number;
  /** Directory for parts set aside when read out of order (config `UPLOAD_TMP_DIR`). */
  tmpDir: string;
  /** Only multipart POSTs to this path are GraphQL uploads. @default '/graphql' */
  graphqlEndpoint?: string;
  /**
   * Token proof and capacity caps, checked before the body is read. Without it (parser tests)
   * every multipart request is parsed.
   */
  guard?: UploadGuard;
  /** `MAX_TOKENS`: bounds parsing the query to find the variables it declares. @default 2000 */
  maxTokens?: number;
}

/**
 * Headers that a browser cannot add to a "simple" cross-site request without a CORS preflight.
 * A multipart POST is otherwise a simple request, so without one of these a hostile page could
 * make a visitor's browser upload files with the visitor's cookies/credentials (CSRF).
 */
export const PREFLIGHT_HEADERS = [
  'x-apollo-operation-name',
  'apollo-require-preflight',
  'graphql-preflight',
  'x-graphql-yoga-csrf',
] as const;

const DROPPED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding']);

/**
 * Replaces yoga's multipart handling (which buffers the whole body in memory) by a
 * streaming one implementing the GraphQL multipart request spec. For a multipart POST it reads
 * `operations` and `map`, then lets yoga execute the operation as a plain JSON request whose
 * file variables hold `Upload`s that stream the live parts; resolvers consume the bytes as they
 * arrive. When the response is ready, unread parts are discarded.
 */
export function useStreamingUploads(options: StreamingUploadOptions): Plugin {
  const limits: MultipartLimits = {
    maxFileBytes: options.maxFileBytes,
    tmpDir: options.tmpDir,
    maxFiles: options.maxFiles ?? 10,
    maxFieldBytes: options.maxFieldBytes ?? 1_000_000,
    capacity: options.guard?.capacity,
  };
  const maxTokens = options.maxTokens ?? 2_000;
  const endpoint = options.graphqlEndpoint ?? '/graphql';
  const sessions = new WeakMap<
    object,
    {
      session: MultipartSession;
      map: Record<string, string[]>;
      slot?: UploadSlot;
      refused?: boolean;
    }
  >();

  return {
    async onRequest({ request, url, setRequest, serverContext, endResponse, fetchAPI }) {
      const contentType = request.headers.get('content-type') ?? '';
      if (
        request.method !== 'POST' ||
        url.pathname !== endpoint ||
        !/^multipart\/form-data\b/i.test(contentType)
      )
        return;
      // Answered before the body is read: `connection: close` so the rest of it is not read either.
      const refuse = (error: MultipartRequestError): void =>
        endResponse(
          errorResponse(fetchAPI, error.status, {
            message: error.message,
            extensions: { code: ErrorCode.BAD_USER_INPUT },
          }),
        );
      if (!PREFLIGHT_HEADERS.some((name) => (request.headers.get(name) ?? '').trim() !== '')) {
        refuse(
          new MultipartRequestError(
            `Multipart requests must carry one of these headers (CSRF protection): ${PREFLIGHT_HEADERS.join(', ')}.`,
          ),
        );
        return;
      }
      if (!request.body) {
        refuse(new MultipartRequestError('The multipart request has no body.'));
        return;
      }
      let slot: UploadSlot | undefined;
      if (options.guard) {
        const admitted = await admitUpload(request, options.guard);
        if (isRefusal(admitted)) {
          endResponse(errorResponse(fetchAPI, admitted.status, formatted(admitted.error)));
          return;
        }
        slot = admitted;
        // Whatever happens next (answer, client gone), the slot is given back once; a client
        // that left during the token check gives it back at once (its abort already fired).
        if (request.signal.aborted) {
          slot.release();
          refuse(new MultipartRequestError('The client went away before the upload started.'));
          return;
        }
        request.signal.addEventListener('abort', () => slot?.release(), { once: true });
      }
      let session: MultipartSession;
      try {
        session = new MultipartSession(
          request.body as unknown as AsyncIterable<Uint8Array>,
          contentType,
          limits,
        );
      } catch (error) {
        slot?.release();
        refuse(asRequestError(error));
        return;
      }
      try {
        const { operations, map } = await session.fields;
        const problem = checkOperationsAndMap(operations, map);
        if (problem) throw problem;
        sessions.set(serverContext, { session, map, slot });
        setRequest(
          new fetchAPI.Request(request.url, {
            method: 'POST',
            headers: jsonHeaders(request.headers, new fetchAPI.Headers()),
            body: operations,
            signal: request.signal,
          }),
        );
      } catch (error) {
        session.finish();
        slot?.release();
        refuse(asRequestError(error));
      }
    },
    onParams({ params, setParams, setResult, context }) {
      const entry = sessions.get(context);
      if (!entry) return;
      const unused = unreferencedKeys(params.query, params.operationName, entry.map, maxTokens);
      if (unused.length > 0) {
        // Nothing would read these parts; refusing keeps them off the disk (no spooling).
        entry.refused = true;
        setResult({ errors: [unreferencedFile(unused)] });
        return;
      }
      setParams({ ...params, variables: applyUploads(params.variables, entry.map, entry.session) });
    },
    onResponse({ serverContext, response }) {
      const entry = sessions.get(serverContext);
      if (!entry) return;
      sessions.delete(serverContext);
      entry.session.finish();
      entry.slot?.release();
      // A refused request's remaining parts are not worth reading: close instead of draining.
      if (entry.refused) response.headers.set('connection', 'close');
    },
  };
}

function jsonHeaders(original: Headers, headers: Headers): Headers {
  original.forEach((value, name) => {
    if (!DROPPED_HEADERS.has(name.toLowerCase())) headers.set(name, value);
  });
  headers.set('content-type', 'application/json');
  return headers;
}

function asRequestError(error: unknown): MultipartRequestError {
  if (error instanceof MultipartRequestError) return error;
  return new MultipartRequestError('The multipart request is malformed or ended early.');
}

interface FormattedError {
  message: string;
  extensions: Record<string, unknown>;
}

function formatted(error: GatewayError): FormattedError {
  return { message: error.message, extensions: { ...error.extensions } };
}

function errorResponse(
  fetchAPI: { Response: typeof Response },
  status: number,
  error: FormattedError,
): Response {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    connection: 'close',
  };
  const retry = error.extensions.retryAfterSeconds;
  if (typeof retry === 'number') headers['retry-after'] = String(retry);
  return new fetchAPI.Response(JSON.stringify({ errors: [error] }), { status, headers });
}
