// Part 2's own state, kept in SandboxState.ext: sent messages, webhook deliveries and pending
// OAuth2 authorization codes. Tests read the first two through /__sandbox/messages and
// /__sandbox/webhooks (or `part2(sandbox.state)` in-process).
import type { SandboxState } from '../state.js';
import type { WebhookDelivery } from '../webhooks.js';

/** One e-mail the project message endpoint (D4) would have sent. */
export interface SentMessage {
  projectId: number;
  projectMemberId: string;
  /** The recipient's username (e-mails go to the member, whatever they share). */
  username: string;
  /** `[Open Humans Project Message] <subject>` or `… From "<project name>"`. */
  subject: string;
  /** The message with `{{ PROJECT_MEMBER_ID }}` substituted. */
  body: string;
  /** `<project name> <support@openhumans.org>`. */
  from: string;
  /** The project's contact e-mail (the Reply-To header). */
  replyTo: string;
  /** Whether the request used `all_members`. */
  allMembers: boolean;
  /** Epoch ms (sandbox clock). */
  sentAt: number;
}

/** A pending authorization code (DOT Grant). */
export interface CodeGrant {
  projectId: number;
  userId: number;
  redirectUri: string;
  /** Epoch ms. */
  expires: number;
}

export interface Part2State {
  /** The data these records belong to: a data reset (a new store) starts them afresh. */
  store: SandboxState['store'];
  messages: SentMessage[];
  webhooks: WebhookDelivery[];
  codes: Map<string, CodeGrant>;
}

const KEY = 'part2';

/** Part 2's state for this sandbox, created on first use. */
export function part2(state: SandboxState): Part2State {
  let value = state.ext.get(KEY) as Part2State | undefined;
  if (!value || value.store !== state.store) {
    value = { store: state.store, messages: [], webhooks: [], codes: new Map() };
    state.ext.set(KEY, value);
  }
  return value;
}
