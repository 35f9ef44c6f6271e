// D6 simple multipart upload and D7 direct-upload start (docs/upstream.md §2.3, §4). The D6 body
// streams through the multipart parser: the file is hashed on the fly and its bytes kept only in
// 'memory' storage mode. D7 creates an incomplete file (invisible to every list until D8) and
// answers with an S3-like presigned PUT URL on this sandbox.
import type { AuthOk } from '../auth.js';
import type { SandboxStore } from '../data/store.js';
import type { DataFile, Project } from '../data/types.js';
import { page, type RouteContext, sendHtml, sendJson } from '../http.js';
import type { Route } from '../router.js';
import { s3Path, signS3 } from '../signing.js';
import { keyBasename, uploadKey } from '../uploads/keys.js';
import { djangoValidFilename, type UploadedFile } from '../uploads/multipart-form.js';
import { blobContent } from '../uploads/storage.js';
import {
  cleanCharField,
  cleanDatatypes,
  cleanMetadata,
  type DatatypeCatalog,
} from '../uploads/validate.js';
import {
  ALLOW_POST,
  formMember,
  oauth2Member,
  projectPostRoute,
  readRequestData,
  sendFormErrors,
  sendInvalidMember,
} from './direct-sharing-common.js';
import { dataString, dataWith, type FormErrors, type RequestData } from './direct-sharing-forms.js';

/** INCOMPLETE_FILE_EXPIRATION_HOURS: presigned PUT URLs live 6 hours. */
export const PUT_URL_TTL_S = 6 * 3600;

export function datatypeCatalog(store: SandboxStore, project: Project): DatatypeCatalog {
  return {
    byId: (id) => store.dataType(id),
    byName: (name) =>
      store.listDataTypes().find((d) => d.name.toLowerCase() === name.toLowerCase()),
    registeredIds: project.registeredDatatypes,
    anyDatatypes: project.anyDatatypes,
    autoAddDatatypes: project.autoAddDatatypes,
  };
}

interface UploadBase {
  projectMemberId: string;
  metadata: Record<string, unknown>;
  datatypes: number[];
}

/** `UploadDataFileBaseForm` fields, in form order; errors are added to `errors`. */
function cleanUploadBase(
  ctx: RouteContext,
  auth: AuthOk,
  data: RequestData,
  errors: FormErrors,
): UploadBase | null {
  const pmi = cleanCharField(dataString(data, 'project_member_id'), true);
  if (!pmi.ok) errors.project_member_id = pmi.errors;
  const rawMetadata = cleanCharField(dataString(data, 'metadata'), true);
  const metadata = rawMetadata.ok ? cleanMetadata(rawMetadata.value) : rawMetadata;
  if (!metadata.ok) errors.metadata = metadata.errors;
  const rawTypes = cleanCharField(dataString(data, 'datatypes'), false);
  const datatypes = rawTypes.ok
    ? cleanDatatypes(rawTypes.value, datatypeCatalog(ctx.state.store, auth.project))
    : rawTypes;
  if (!datatypes.ok) errors.datatypes = datatypes.errors;
  if (!pmi.ok || !metadata.ok || !datatypes.ok) return null;
  return { projectMemberId: pmi.value, metadata: metadata.value, datatypes: datatypes.value };
}

/** An OAuth2 user token always writes to its own member (ProjectFormBaseView). */
function withOwnMember(auth: AuthOk, data: RequestData): RequestData {
  const own = oauth2Member(auth);
  return own ? dataWith(data, 'project_member_id', own.projectMemberId) : data;
}

function lastFile(files: Map<string, UploadedFile[]>, field: string): UploadedFile | undefined {
  const list = files.get(field);
  return list?.[list.length - 1];
}

async function simpleUpload(ctx: RouteContext, auth: AuthOk): Promise<void> {
  const body = await readRequestData(ctx, ctx.state.storage);
  if (!body) return;
  const errors: FormErrors = {};
  const base = cleanUploadBase(ctx, auth, withOwnMember(auth, body.data), errors);
  const file = lastFile(body.files, 'data_file');
  if (!file) errors.data_file = ['This field is required.'];
  else if (file.blob.size === 0) errors.data_file = ['The submitted file is empty.'];
  if (!base || !file || Object.keys(errors).length > 0) return sendFormErrors(ctx, errors);
  const m = formMember(ctx, auth, base.projectMemberId);
  if (!m) return sendInvalidMember(ctx);
  const basename = djangoValidFilename(file.filename);
  // Django's storage raises SuspiciousFileOperation for such names: a 400 page.
  if (basename === null)
    return sendHtml(ctx, 400, page('Bad Request (400)', '<h1>Bad Request (400)</h1>'));
  const { store } = ctx.state;
  const now = ctx.state.now();
  const f: DataFile = {
    id: store.allocateFileId(),
    projectId: auth.project.id,
    userId: m.userId,
    basename,
    created: now,
    metadata: base.metadata,
    datatypes: base.datatypes,
    completed: true,
    size: file.blob.size,
    md5: file.blob.md5,
    s3Key: uploadKey(auth.project.id, basename, now),
    content: blobContent(file.blob),
  };
  store.addFile(f);
  sendJson(ctx, 201, { id: f.id }, {}, ALLOW_POST);
}

async function directUpload(ctx: RouteContext, auth: AuthOk): Promise<void> {
  const body = await readRequestData(ctx);
  if (!body) return;
  const errors: FormErrors = {};
  const base = cleanUploadBase(ctx, auth, withOwnMember(auth, body.data), errors);
  const filename = cleanCharField(dataString(body.data, 'filename'), true);
  if (!filename.ok) errors.filename = filename.errors;
  if (!base || !filename.ok) return sendFormErrors(ctx, errors);
  const m = formMember(ctx, auth, base.projectMemberId);
  if (!m) return sendInvalidMember(ctx);
  const { store } = ctx.state;
  const now = ctx.state.now();
  // The filename goes into the key verbatim (no sanitising, §4).
  const key = uploadKey(auth.project.id, filename.value, now);
  const f: DataFile = {
    id: store.allocateFileId(),
    projectId: auth.project.id,
    userId: m.userId,
    basename: keyBasename(key),
    created: now,
    metadata: base.metadata,
    datatypes: base.datatypes,
    completed: false,
    size: null,
    md5: null,
    s3Key: key,
    content: { kind: 'none' },
  };
  store.addFile(f);
  const expires = Math.floor(now / 1000) + PUT_URL_TTL_S;
  const url = `${ctx.state.baseUrl}${s3Path(key)}?${signS3(ctx.state.s3, 'PUT', key, expires)}`;
  sendJson(ctx, 201, { id: f.id, url }, {}, ALLOW_POST);
}

export const uploadRoutes: Route[] = [
  projectPostRoute('D6', '/api/direct-sharing/project/files/upload/', simpleUpload),
  projectPostRoute('D7', '/api/direct-sharing/project/files/upload/direct/', directUpload),
];
