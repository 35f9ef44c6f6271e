import { pyParseInt, pyStr, UnhandledServerError } from '../uploads/py.js';

/**
 * Django form semantics for the direct-sharing POST endpoints (private_sharing/forms.py).
 * Bodies arrive as form-urlencoded/multipart (a QueryDict: `.get` returns the LAST value of a
 * repeated key — why `ohapi`'s repeated `project_member_ids` keep only the last id) or as JSON.
 */
export type RequestData =
  | { kind: 'query'; values: Map<string, string[]> }
  | { kind: 'json'; values: Record<string, unknown> };

/** An empty body: DRF's empty QueryDict. */
export const EMPTY_DATA: RequestData = { kind: 'query', values: new Map() };

/** `data.get(key)`: last value for a QueryDict, the raw value for JSON; undefined if absent. */
export function dataGet(data: RequestData, key: string): unknown {
  if (data.kind === 'json') return Object.hasOwn(data.values, key) ? data.values[key] : undefined;
  const list = data.values.get(key);
  return list && list.length > 0 ? list[list.length - 1] : undefined;
}

/** What a CharField sees: `str(value)`, with None/absent as undefined. */
export function dataString(data: RequestData, key: string): string | undefined {
  const value = dataGet(data, key);
  return value === undefined || value === null ? undefined : pyStr(value);
}

/** Returns a copy with `key` replaced (DRF views overwrite ids from an OAuth2 token). */
export function dataWith(
  data: RequestData,
  key: string,
  value: string | string[] | boolean,
): RequestData {
  if (data.kind === 'json') return { kind: 'json', values: { ...data.values, [key]: value } };
  const values = new Map(data.values);
  values.set(key, [
    typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value),
  ]);
  return { kind: 'query', values };
}

/** Django CheckboxInput + BooleanField: absent, '', 'false' (any case), false, 0 → false. */
export function cleanBoolean(data: RequestData, key: string): boolean {
  const value = dataGet(data, key);
  if (value === undefined) return false;
  // Note: the widget maps only 'true'/'false'; any other non-empty string ('0' included) is true.
  if (typeof value === 'string') return value.toLowerCase() === 'false' ? false : value !== '';
  return Boolean(value) && !(Array.isArray(value) && value.length === 0) && !isEmptyObject(value);
}

function isEmptyObject(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  );
}

/** Django IntegerField(required=False): null when empty, else the int or an error. */
export function cleanOptionalInteger(
  data: RequestData,
  key: string,
): { ok: true; value: number | null } | { ok: false; errors: string[] } {
  const raw = dataString(data, key);
  if (raw === undefined || raw.trim() === '') return { ok: true, value: null };
  // IntegerField strips a trailing ".0…" before int().
  const value = pyParseInt(raw.trim().replace(/\.0*\s*$/, ''));
  return value === null ? { ok: false, errors: ['Enter a whole number.'] } : { ok: true, value };
}

export const IDS_LENGTH_ERROR = 'Project member IDs are always 8 digits long.';

/**
 * `BaseProjectMembersForm.clean_project_member_ids`: split on spaces/commas/newlines, every id
 * 8 or 16 characters long, every id an active member of this project — else the exact errors.
 */
export function cleanProjectMemberIds(
  data: RequestData,
  isActiveMember: (projectMemberId: string) => boolean,
): { ok: true; ids: string[] } | { ok: false; errors: string[] } {
  const raw = dataGet(data, 'project_member_ids') ?? '';
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (Array.isArray(raw) && raw.every((id) => typeof id === 'string')) text = raw.join(',');
  else throw new UnhandledServerError('TypeError: sequence item: expected str instance');
  const ids = text.split(/[ ,\r\n]+/).filter((id) => id !== '');
  if (ids.some((id) => [...id].length !== 8 && [...id].length !== 16))
    return { ok: false, errors: [IDS_LENGTH_ERROR] };
  const found = new Set(ids.filter(isActiveMember));
  // Production compares len(ids) with the number of matching rows, so a repeated valid id also
  // fails — with an empty list after the colon.
  if (found.size !== ids.length) {
    const invalid = ids.filter((id) => !found.has(id));
    return { ok: false, errors: [`Invalid project member ID(s): ${invalid.join(', ')}`] };
  }
  return { ok: true, ids: [...found] };
}

export type FormErrors = Record<string, string[]>;

/** A validated D4 request. */
export interface MessageRequest {
  allMembers: boolean;
  /** Explicit recipients (empty when allMembers). */
  projectMemberIds: string[];
  subject: string;
  message: string;
}

/** `MessageProjectMembersForm` (D4). Error keys come in Django's order: fields, then __all__. */
export function cleanMessageForm(
  data: RequestData,
  isActiveMember: (projectMemberId: string) => boolean,
): { ok: true; value: MessageRequest } | { ok: false; errors: FormErrors } {
  const errors: FormErrors = {};
  const ids = cleanProjectMemberIds(data, isActiveMember);
  if (!ids.ok) errors.project_member_ids = ids.errors;
  const allMembers = cleanBoolean(data, 'all_members');
  const subject = (dataString(data, 'subject') ?? '').trim();
  const message = (dataString(data, 'message') ?? '').trim();
  if (message === '') errors.message = ['This field is required.'];
  // clean() reads the raw value: any truthy project_member_ids counts as "a list was given".
  const idsGiven = isTruthy(dataGet(data, 'project_member_ids'));
  if (!allMembers && !idsGiven)
    errors.__all__ = ['You must specify either all members or provide a list of IDs.'];
  if (allMembers && idsGiven)
    errors.__all__ = ['You must specify either all members or provide a list of IDs but not both.'];
  if (Object.keys(errors).length > 0 || !ids.ok) return { ok: false, errors };
  return {
    ok: true,
    value: { allMembers, projectMemberIds: allMembers ? [] : ids.ids, subject, message },
  };
}

/** `RemoveProjectMembersForm` (D5): a list is required; `all_members` is ignored. */
export function cleanRemoveMembersForm(
  data: RequestData,
  isActiveMember: (projectMemberId: string) => boolean,
): { ok: true; ids: string[] } | { ok: false; errors: FormErrors } {
  const errors: FormErrors = {};
  const ids = cleanProjectMemberIds(data, isActiveMember);
  if (!ids.ok) errors.project_member_ids = ids.errors;
  if (!isTruthy(dataGet(data, 'project_member_ids')))
    errors.__all__ = ['You must provide a list of project member IDs.'];
  if (Object.keys(errors).length > 0 || !ids.ok) return { ok: false, errors };
  return { ok: true, ids: ids.ids };
}

/** Python truthiness of a parsed body value. */
function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '')
    return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** The subject production sends (forms.py `send_messages`). */
export function messageSubject(subject: string, projectName: string): string {
  return `[Open Humans Project Message] ${subject !== '' ? subject : `From "${projectName}"`}`;
}

/**
 * Renders the message as a Django template with one variable: `{{ PROJECT_MEMBER_ID }}` becomes
 * the recipient's id; any other `{{ variable }}` renders empty, as Django does.
 */
export function renderMessage(message: string, projectMemberId: string): string {
  return message.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_m, name: string) =>
    name === 'PROJECT_MEMBER_ID' ? projectMemberId : '',
  );
}
