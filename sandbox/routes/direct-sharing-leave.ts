// `DataRequestProjectMember.leave_project()` (docs/upstream.md §2.6): revoke the membership,
// delete the member's OAuth2 tokens for the project, and POST the deauthorization webhook.
// Used by remove-members (D5) and by the "member leaves" test control.
import type { Membership } from '../data/types.js';
import type { SandboxState } from '../state.js';
import { deauthPayload, sendDeauthWebhook, type WebhookDelivery } from '../webhooks.js';
import { part2 } from './direct-sharing-state.js';
import { dropCodesOf } from './oauth2-grants.js';

export async function leaveProject(
  state: SandboxState,
  m: Membership,
  opts: { erasureRequested?: boolean } = {},
): Promise<WebhookDelivery[]> {
  const { store } = state;
  const now = state.now();
  m.revoked = true;
  m.joined = false;
  m.authorized = false;
  if (opts.erasureRequested) m.erasureRequested = true;
  store.touch();
  const project = store.project(m.projectId);
  if (project?.type !== 'oauth2') return [];
  store.removeTokensOf(m.projectId, m.userId);
  dropCodesOf(state, m.projectId, m.userId);
  const app = project.oauth2;
  if (!app || app.webhookUrl === '') return [];
  // The timestamp is the erasure request time, or now (see webhooks.ts).
  const payload = deauthPayload(
    m.projectMemberId,
    opts.erasureRequested ? new Date(now) : null,
    new Date(now),
  );
  return sendDeauthWebhook(
    { url: app.webhookUrl, ...(app.webhookSecret ? { secret: app.webhookSecret } : {}) },
    payload,
    part2(state).webhooks,
  );
}
