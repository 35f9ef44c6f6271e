// D4 `POST …/project/message/` and D5 `POST …/project/remove-members/` (docs/upstream.md §2.3).
// With an OAuth2 user token the server forces the request onto the member itself
// (ProjMemberFormAPIMixin). Messages are recorded instead of mailed; removals run leave_project,
// which fires the deauthorization webhook.
import type { AuthOk } from '../auth.js';
import type { Membership } from '../data/types.js';
import { type RouteContext, sendJson } from '../http.js';
import type { Route } from '../router.js';
import {
  ALLOW_POST,
  oauth2Member,
  projectPostRoute,
  readRequestData,
  sendFormErrors,
} from './direct-sharing-common.js';
import {
  cleanMessageForm,
  cleanRemoveMembersForm,
  dataWith,
  type MessageRequest,
  messageSubject,
  type RequestData,
  renderMessage,
} from './direct-sharing-forms.js';
import { leaveProject } from './direct-sharing-leave.js';
import { part2 } from './direct-sharing-state.js';

/** Active (filter_active) member of the token's project, by project member id. */
function activeMemberOf(ctx: RouteContext, auth: AuthOk): (pmi: string) => Membership | undefined {
  const { store } = ctx.state;
  return (pmi) => {
    const m = store.membershipByProjectMemberId(pmi);
    return m && m.projectId === auth.project.id && store.isActive(m) ? m : undefined;
  };
}

/** The request data, with ids forced to the token's own member for OAuth2 user tokens. */
async function memberScopedData(ctx: RouteContext, auth: AuthOk): Promise<RequestData | null> {
  const body = await readRequestData(ctx);
  if (!body) return null;
  const own = oauth2Member(auth);
  if (!own) return body.data;
  return dataWith(dataWith(body.data, 'all_members', false), 'project_member_ids', [
    own.projectMemberId,
  ]);
}

function recordMessages(
  ctx: RouteContext,
  auth: AuthOk,
  request: MessageRequest,
  lookup: (pmi: string) => Membership | undefined,
): void {
  const { store } = ctx.state;
  const project = auth.project;
  const recipients = request.allMembers
    ? store.activeMembers(project.id)
    : request.projectMemberIds.map(lookup).filter((m): m is Membership => m !== undefined);
  const subject = messageSubject(request.subject, project.name);
  const sentAt = ctx.state.now();
  const log = part2(ctx.state).messages;
  for (const m of recipients) {
    log.push({
      projectId: project.id,
      projectMemberId: m.projectMemberId,
      username: store.user(m.userId)?.username ?? '',
      subject,
      body: renderMessage(request.message, m.projectMemberId),
      from: `${project.name} <support@openhumans.org>`,
      replyTo: project.contactEmail,
      allMembers: request.allMembers,
      sentAt,
    });
  }
}

async function message(ctx: RouteContext, auth: AuthOk): Promise<void> {
  const data = await memberScopedData(ctx, auth);
  if (!data) return;
  const lookup = activeMemberOf(ctx, auth);
  const form = cleanMessageForm(data, (pmi) => lookup(pmi) !== undefined);
  if (!form.ok) return sendFormErrors(ctx, form.errors, true);
  recordMessages(ctx, auth, form.value, lookup);
  sendJson(ctx, 200, 'success', {}, ALLOW_POST);
}

async function removeMembers(ctx: RouteContext, auth: AuthOk): Promise<void> {
  const data = await memberScopedData(ctx, auth);
  if (!data) return;
  const lookup = activeMemberOf(ctx, auth);
  const form = cleanRemoveMembersForm(data, (pmi) => lookup(pmi) !== undefined);
  if (!form.ok) return sendFormErrors(ctx, form.errors, true);
  const members = form.ids.map(lookup).filter((m): m is Membership => m !== undefined);
  // leave_project runs synchronously, webhook included, before the answer.
  for (const m of members) await leaveProject(ctx.state, m);
  sendJson(ctx, 200, 'success', {}, ALLOW_POST);
}

export const messageRoutes: Route[] = [
  projectPostRoute('D4', '/api/direct-sharing/project/message/', message),
  projectPostRoute('D5', '/api/direct-sharing/project/remove-members/', removeMembers),
];
