import type { OperationDefinitionNode } from 'graphql';
import { parse } from 'graphql';
import { parseBearer } from '../../auth/bearer.js';
import { requireToken, tokenKey } from '../../auth/token.js';
import type { UploadLimitsConfig } from '../../config/intake-limits.js';
import type { UploadSlot } from '../../datasources/writes/upload-capacity.js';
import { CapacityError, UploadCapacity } from '../../datasources/writes/upload-capacity.js';
import { ErrorCode, ErrorReason, GatewayError } from '../../errors.js';
import type { TokenCheckHttp } from './token-check.js';
import { UploadTokenCheck } from './token-check.js';

/** What an upload must get past before a byte of its body is read. */
export interface UploadGuard {
  tokenCheck: UploadTokenCheck;
  capacity: UploadCapacity;
  /** The request's token (bearer, or the session cookie's) and whether a header was unusable. */
  tokenOf(request: Request): Promise<{ token: string | null; malformed: boolean }>;
}

/** A refused upload: the HTTP status and the coded error to answer with. */
export interface Refusal {
  status: number;
  error: GatewayError;
}

/**
 * In order, before the body is touched: a token is present, Open Humans accepts it (cached per
 * token hash), this token and the process are under their concurrent-upload caps, and the spools
 * and disk have room. The slot must be released when the request is over.
 */
export async function admitUpload(
  request: Request,
  guard: UploadGuard,
): Promise<UploadSlot | Refusal> {
  const { token, malformed } = await guard.tokenOf(request);
  let proven: string;
  try {
    proven = requireToken(token, malformed);
  } catch (err) {
    return { status: 401, error: err as GatewayError };
  }
  const rejected = await guard.tokenCheck.check(proven);
  if (rejected) return { status: statusOf(rejected), error: rejected };
  const slot = guard.capacity.acquire(tokenKey(proven));
  if (slot instanceof CapacityError) return { status: slot.status, error: slot };
  const full = await guard.capacity.admit();
  if (full) {
    slot.release();
    return { status: full.status, error: full };
  }
  return slot;
}

export const isRefusal = (value: UploadSlot | Refusal): value is Refusal => 'error' in value;

function statusOf(error: GatewayError): number {
  switch (error.code) {
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.UPSTREAM_UNAVAILABLE:
      return 503;
    default:
      return 502;
  }
}

/**
 * The map keys whose paths all lead into variables that the executed operation does not declare:
 * nothing would ever read those parts, so they are refused rather than set aside on disk. The
 * query is parsed with the same token cap as the operation limits; an unparsable or missing
 * query refers to nothing (yoga then refuses it anyway).
 */
export function unreferencedKeys(
  query: string | undefined,
  operationName: string | undefined,
  map: Record<string, string[]>,
  maxTokens: number,
): string[] {
  const declared = declaredVariables(query, operationName, maxTokens);
  return Object.entries(map)
    .filter(([, paths]) => !paths.some((path) => declared.has(path.split('.')[1] ?? '')))
    .map(([key]) => key);
}

function declaredVariables(
  query: string | undefined,
  operationName: string | undefined,
  maxTokens: number,
): Set<string> {
  if (!query) return new Set();
  let operations: OperationDefinitionNode[];
  try {
    operations = parse(query, { maxTokens, noLocation: true }).definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    );
  } catch {
    return new Set();
  }
  const chosen = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  return new Set(chosen?.variableDefinitions?.map((v) => v.variable.name.value) ?? []);
}

export const unreferencedFile = (keys: string[]): GatewayError =>
  new GatewayError(
    ErrorCode.BAD_USER_INPUT,
    `The file parts ${keys.map((k) => `"${k}"`).join(', ')} are mapped to variables the operation does not declare; they were refused.`,
    { reason: ErrorReason.UNREFERENCED_FILE },
  );

/** What `createUploadGuard` needs from the gateway's shared parts. */
export interface UploadGuardDeps {
  http: TokenCheckHttp;
  limits: UploadLimitsConfig;
  /** The gateway's capacity (shared with the spool writers of the resolvers). */
  capacity: UploadCapacity | undefined;
  tmpDir: string;
  /** Session mode: the access token of the session cookie. */
  sessionToken?: (request: Request) => Promise<string | null>;
}

/** The gateway's one upload guard: a token check with its cache, and the capacity caps. */
export function createUploadGuard(deps: UploadGuardDeps): UploadGuard {
  const capacity = deps.capacity ?? new UploadCapacity({ ...deps.limits, tmpDir: deps.tmpDir });
  return {
    tokenCheck: new UploadTokenCheck({ http: deps.http, ttlMs: deps.limits.tokenCheckTtlMs }),
    capacity,
    async tokenOf(request) {
      const bearer = parseBearer(request.headers.get('authorization'));
      if (bearer.token || bearer.malformed || !deps.sessionToken) return bearer;
      return { token: await deps.sessionToken(request), malformed: false };
    },
  };
}
