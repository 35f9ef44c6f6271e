// D8 `POST …/files/upload/complete/` and D9 `POST …/files/delete/` (docs/upstream.md §2.3).
// Production quirks kept: complete looks the file up among ALL files (any project, any member)
// and an unknown id is an unhandled DoesNotExist (HTML 500); delete only sees this member's
// completed files of this project and answers `{"ids": []}` for a foreign id.
import type { AuthOk } from '../auth.js';
import { type RouteContext, sendJson, sendServerError } from '../http.js';
import type { Route } from '../router.js';
import { cleanCharField } from '../uploads/validate.js';
import {
  ALLOW_POST,
  formMember,
  oauth2Member,
  projectPostRoute,
  readRequestData,
  sendFormErrors,
  sendInvalidMember,
} from './direct-sharing-common.js';
import {
  cleanBoolean,
  cleanOptionalInteger,
  dataString,
  dataWith,
  type FormErrors,
  type RequestData,
} from './direct-sharing-forms.js';

const ONE_OF = 'one of file_id, file_basename, or all_files is required';

async function formData(ctx: RouteContext, auth: AuthOk): Promise<RequestData | null> {
  const body = await readRequestData(ctx);
  if (!body) return null;
  const own = oauth2Member(auth);
  return own ? dataWith(body.data, 'project_member_id', own.projectMemberId) : body.data;
}

async function complete(ctx: RouteContext, auth: AuthOk): Promise<void> {
  const data = await formData(ctx, auth);
  if (!data) return;
  const errors: FormErrors = {};
  const fileId = cleanOptionalInteger(data, 'file_id');
  if (!fileId.ok) errors.file_id = fileId.errors;
  const pmi = cleanCharField(dataString(data, 'project_member_id'), true);
  if (!pmi.ok) errors.project_member_id = pmi.errors;
  if (!fileId.ok || !pmi.ok) return sendFormErrors(ctx, errors);
  if (!formMember(ctx, auth, pmi.value)) return sendInvalidMember(ctx);
  if (!fileId.value) return sendJson(ctx, 400, { detail: 'file does not exist' }, {}, ALLOW_POST);
  const { store } = ctx.state;
  const f = store.file(fileId.value);
  if (!f) return sendServerError(ctx); // ProjectDataFile.DoesNotExist
  // The size comes from an S3 HEAD; nothing was PUT yet → "file not present", file incomplete.
  if (f.content.kind === 'none' || f.size === null) {
    f.completed = false;
    store.updateFile(f);
    return sendJson(ctx, 400, { detail: 'file not present' }, {}, ALLOW_POST);
  }
  f.completed = true;
  store.updateFile(f);
  sendJson(ctx, 200, { status: 'ok', size: f.size }, {}, ALLOW_POST);
}

async function deleteFiles(ctx: RouteContext, auth: AuthOk): Promise<void> {
  const data = await formData(ctx, auth);
  if (!data) return;
  const errors: FormErrors = {};
  const pmi = cleanCharField(dataString(data, 'project_member_id'), true);
  if (!pmi.ok) errors.project_member_id = pmi.errors;
  const fileId = cleanOptionalInteger(data, 'file_id');
  if (!fileId.ok) errors.file_id = fileId.errors;
  const basename = cleanCharField(dataString(data, 'file_basename'), false);
  const allFiles = cleanBoolean(data, 'all_files');
  if (!pmi.ok || !fileId.ok || !basename.ok) return sendFormErrors(ctx, errors);
  const m = formMember(ctx, auth, pmi.value);
  if (!m) return sendInvalidMember(ctx);
  const given = [Boolean(fileId.value), basename.value !== '', allFiles].filter(Boolean).length;
  if (given === 0) return sendJson(ctx, 400, { missing_field: ONE_OF }, {}, ALLOW_POST);
  if (given > 1) return sendJson(ctx, 400, { too_many: ONE_OF }, {}, ALLOW_POST);
  const { store } = ctx.state;
  const files = store
    .filesOfUserAll(m.userId)
    .filter((f) => f.projectId === auth.project.id && f.completed)
    .filter((f) =>
      fileId.value
        ? f.id === fileId.value
        : basename.value !== ''
          ? f.basename === basename.value
          : true,
    );
  for (const f of files) store.removeFile(f.id);
  sendJson(ctx, 200, { ids: files.map((f) => f.id) }, {}, ALLOW_POST);
}

export const fileRoutes: Route[] = [
  projectPostRoute('D8', '/api/direct-sharing/project/files/upload/complete/', complete),
  projectPostRoute('D9', '/api/direct-sharing/project/files/delete/', deleteFiles),
];
