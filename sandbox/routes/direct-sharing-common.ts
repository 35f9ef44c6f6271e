// Shared plumbing of the direct-sharing POST endpoints (D4–D9): DRF's body parsing (JSON,
// form-urlencoded, streaming multipart), its 400/415 answers, authentication before the method
// check, and ProjectFormBaseView's member check (docs/upstream.md §2.3 "Shared rules").
import { type AuthOk, requireAuth } from '../auth.js';
import type { Membership, RouteId } from '../data/types.js';
import { page, type RouteContext, readBody, sendHtml, sendJson, sendServerError } from '../http.js';
import { exactPath, type Route } from '../router.js';
import { MultipartError, multipartBoundary } from '../uploads/multipart.js';
import { readMultipartForm, type UploadedFile } from '../uploads/multipart-form.js';
import { UnhandledServerError } from '../uploads/py.js';
import type { StorageMode } from '../uploads/storage.js';
import { EMPTY_DATA, type FormErrors, type RequestData } from './direct-sharing-forms.js';

export const ALLOW_POST = 'POST, OPTIONS';
/** Django's DATA_UPLOAD_MAX_MEMORY_SIZE for non-file bodies. */
const MAX_BODY_BYTES = 2_621_440;

export interface ParsedBody {
  data: RequestData;
  /** File parts of a multipart body (QueryDict semantics: last one wins). */
  files: Map<string, UploadedFile[]>;
}

/**
 * DRF's `request.data`. Multipart bodies stream through the parser (files hashed, and kept only
 * in memory storage mode when `fileMode` says so). Answers 400/415 itself and returns null then.
 */
export async function readRequestData(
  ctx: RouteContext,
  fileMode: StorageMode = 'hash',
): Promise<ParsedBody | null> {
  const contentType = ctx.req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const none = { data: EMPTY_DATA, files: new Map<string, UploadedFile[]>() };
  try {
    if (mediaType === 'multipart/form-data') {
      const boundary = multipartBoundary(contentType);
      if (!boundary)
        return badRequest(ctx, 'Multipart form parse error - Invalid boundary in multipart: None');
      const form = await readMultipartForm(ctx.req, boundary, fileMode);
      return { data: { kind: 'query', values: form.fields }, files: form.files };
    }
    const raw = await readBody(ctx.req, MAX_BODY_BYTES);
    if (raw.length === 0) return none; // DRF: an empty body is an empty QueryDict
    if (mediaType === 'application/x-www-form-urlencoded')
      return { data: parseQueryDict(raw.toString('utf8')), files: none.files };
    if (mediaType === 'application/json') return parseJson(ctx, raw.toString('utf8'));
    if (mediaType === '') return none;
    sendJson(
      ctx,
      415,
      { detail: `Unsupported media type "${contentType}" in request.` },
      {},
      ALLOW_POST,
    );
    return null;
  } catch (err) {
    if (err instanceof MultipartError)
      return badRequest(ctx, `Multipart form parse error - ${err.message}`);
    // Body over DATA_UPLOAD_MAX_MEMORY_SIZE: Django's RequestDataTooBig is a 400 page.
    sendHtml(ctx, 400, page('Bad Request (400)', '<h1>Bad Request (400)</h1>'));
    return null;
  }
}

function badRequest(ctx: RouteContext, detail: string): null {
  sendJson(ctx, 400, { detail }, {}, ALLOW_POST);
  return null;
}

function parseJson(ctx: RouteContext, text: string): ParsedBody | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return badRequest(
      ctx,
      `JSON parse error - ${err instanceof Error ? err.message : 'invalid JSON'}`,
    );
  }
  // A JSON array or scalar reaches the Django form as non-dict data: `.get` raises → 500.
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UnhandledServerError('AttributeError');
  return { data: { kind: 'json', values: value as Record<string, unknown> }, files: new Map() };
}

/** Django's QueryDict from a urlencoded body: every value kept, '+' is a space. */
export function parseQueryDict(text: string): RequestData {
  const values = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return { kind: 'query', values };
}

/**
 * `{"<field>": ["msg", …]}` — DRF's ValidationError(form.errors), or wrapped in `errors` (D4/D5).
 */
export function sendFormErrors(ctx: RouteContext, errors: FormErrors, wrap = false): void {
  sendJson(ctx, 400, wrap ? { errors } : errors, {}, ALLOW_POST);
}

export function sendInvalidMember(ctx: RouteContext): void {
  sendJson(ctx, 400, { project_member_id: 'project_member_id is invalid' }, {}, ALLOW_POST);
}

/**
 * A DRF POST endpoint on a project token: authentication (OAuth2 user or master token) runs
 * before the method check, so a wrong method with a bad token is a 401, not a 405.
 */
export function projectPostRoute(
  id: RouteId,
  path: string,
  handle: (ctx: RouteContext, auth: AuthOk) => Promise<void>,
): Route {
  const auth = (ctx: RouteContext): AuthOk | null =>
    requireAuth(ctx, { oauth2: true, master: true }, ALLOW_POST);
  return {
    id,
    pattern: exactPath(path),
    methods: ['POST'],
    async handle(ctx) {
      const ok = auth(ctx);
      if (!ok) return;
      try {
        await handle(ctx, ok);
      } catch (err) {
        if (err instanceof UnhandledServerError) return sendServerError(ctx);
        throw err;
      }
    },
    onOtherMethod(ctx) {
      if (auth(ctx))
        sendJson(
          ctx,
          405,
          { detail: `Method "${ctx.req.method ?? ''}" not allowed.` },
          {},
          ALLOW_POST,
        );
    },
  };
}

/**
 * `get_oauth2_member()`: the token's own membership (DoesNotExist → 500), or null for a master
 * token.
 */
export function oauth2Member(auth: AuthOk): Membership | null {
  if (auth.kind !== 'oauth2') return null;
  if (!auth.membership) throw new UnhandledServerError('DataRequestProjectMember.DoesNotExist');
  return auth.membership;
}

/**
 * ProjectFormBaseView's last check: the member must exist in this project and be joined,
 * authorized and not revoked (the user's `is_active` is not checked here).
 */
export function formMember(
  ctx: RouteContext,
  auth: AuthOk,
  projectMemberId: string,
): Membership | null {
  const own = oauth2Member(auth);
  const m = own ?? ctx.state.store.membershipByProjectMemberId(projectMemberId);
  if (!m || m.projectId !== auth.project.id || !m.joined || !m.authorized || m.revoked) return null;
  return m;
}
