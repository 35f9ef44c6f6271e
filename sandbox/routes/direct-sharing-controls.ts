// Part 2's test controls, in-process (functions over SandboxState, e.g. `sandbox.state`) and over
// HTTP under /__sandbox/ (called from controls-routes.ts; never counted or logged):
//   GET/DELETE /__sandbox/messages          messages D4 "sent"
//   GET/DELETE /__sandbox/webhooks          deauthorization webhook deliveries
//   POST /__sandbox/oauth2/code             {projectMemberId, redirectUri?} → {code, redirectUri}
//   POST /__sandbox/oauth2/tokens           {projectMemberId} → {accessToken, refreshToken}
//   POST /__sandbox/oauth2/app              {redirectUrl?, webhookUrl?, webhookSecret?} (own project)
//   POST /__sandbox/members/leave           {projectMemberId, erasureRequested?} → {deliveries}
//   GET/POST /__sandbox/storage             {mode: 'memory'|'hash'}
// A data reset (POST /__sandbox/reset {"data": true}) also clears messages, webhooks and codes.
import { type RouteContext, send } from '../http.js';
import type { SandboxState } from '../state.js';
import type { StorageMode } from '../uploads/storage.js';
import type { WebhookDelivery } from '../webhooks.js';
import { leaveProject } from './direct-sharing-leave.js';
import { part2, type SentMessage } from './direct-sharing-state.js';
import { approveAndMintCode, issueTokens } from './oauth2-grants.js';

/**
 * A sandbox member approves the project on the authorize page: a fresh code for the token endpoint.
 */
export function mintAuthorizationCode(
  state: SandboxState,
  projectMemberId: string,
  redirectUri?: string,
): { code: string; redirectUri: string } {
  const { project, membership } = ownMembership(state, projectMemberId);
  const uri = redirectUri ?? project.oauth2?.redirectUrl ?? '';
  return { code: approveAndMintCode(state, project, membership, uri), redirectUri: uri };
}

/** A token pair for a member, as if a code had been exchanged. */
export function mintTokens(
  state: SandboxState,
  projectMemberId: string,
): { accessToken: string; refreshToken: string } {
  const { project, membership } = ownMembership(state, projectMemberId);
  return issueTokens(state, project.id, membership.userId);
}

/** The member leaves the project on Open Humans (ProjectLeaveView): revoke + webhook. */
export function memberLeaves(
  state: SandboxState,
  projectMemberId: string,
  opts: { erasureRequested?: boolean } = {},
): Promise<WebhookDelivery[]> {
  return leaveProject(state, ownMembership(state, projectMemberId).membership, opts);
}

export function sentMessages(state: SandboxState): SentMessage[] {
  return [...part2(state).messages];
}

export function webhookDeliveries(state: SandboxState): WebhookDelivery[] {
  return [...part2(state).webhooks];
}

export function setStorageMode(state: SandboxState, mode: StorageMode): void {
  state.storage = mode;
}

/** Changes the own project's OAuth2 app (e.g. a webhook receiver started after the sandbox). */
export function configureOAuthApp(
  state: SandboxState,
  changes: { redirectUrl?: string; webhookUrl?: string; webhookSecret?: string },
): void {
  const app = state.store.project(state.ownProjectId)?.oauth2;
  if (!app) throw new Error('own project has no OAuth2 app');
  if (changes.redirectUrl !== undefined) app.redirectUrl = changes.redirectUrl;
  if (changes.webhookUrl !== undefined) app.webhookUrl = changes.webhookUrl;
  if (changes.webhookSecret !== undefined) app.webhookSecret = changes.webhookSecret;
}

function ownMembership(state: SandboxState, projectMemberId: string) {
  const membership = state.store.membershipByProjectMemberId(projectMemberId);
  const project = membership ? state.store.project(membership.projectId) : undefined;
  if (!membership || !project?.oauth2)
    throw new ControlError(`no OAuth2 project member ${projectMemberId}`);
  return { membership, project };
}

class ControlError extends Error {}

function json(ctx: RouteContext, status: number, body: unknown): void {
  send(ctx, status, JSON.stringify(body), {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Answers part 2's control paths; returns false for paths it does not own. */
export async function handlePart2Control(
  ctx: RouteContext,
  method: string,
  path: string,
  body: unknown,
): Promise<boolean> {
  const { state } = ctx;
  const obj = (body ?? {}) as Record<string, unknown>;
  const pmi = str(obj.projectMemberId) ?? '';
  try {
    switch (`${method} ${path}`) {
      case 'GET /__sandbox/messages':
        json(ctx, 200, sentMessages(state));
        return true;
      case 'DELETE /__sandbox/messages':
        part2(state).messages.length = 0;
        json(ctx, 200, { ok: true });
        return true;
      case 'GET /__sandbox/webhooks':
        json(ctx, 200, webhookDeliveries(state));
        return true;
      case 'DELETE /__sandbox/webhooks':
        part2(state).webhooks.length = 0;
        json(ctx, 200, { ok: true });
        return true;
      case 'POST /__sandbox/oauth2/code':
        json(ctx, 200, mintAuthorizationCode(state, pmi, str(obj.redirectUri)));
        return true;
      case 'POST /__sandbox/oauth2/tokens':
        json(ctx, 200, mintTokens(state, pmi));
        return true;
      case 'POST /__sandbox/oauth2/app':
        configureOAuthApp(state, {
          ...(str(obj.redirectUrl) !== undefined
            ? { redirectUrl: str(obj.redirectUrl) as string }
            : {}),
          ...(str(obj.webhookUrl) !== undefined
            ? { webhookUrl: str(obj.webhookUrl) as string }
            : {}),
          ...(str(obj.webhookSecret) !== undefined
            ? { webhookSecret: str(obj.webhookSecret) as string }
            : {}),
        });
        json(ctx, 200, { ok: true });
        return true;
      case 'POST /__sandbox/members/leave':
        json(ctx, 200, {
          deliveries: await memberLeaves(state, pmi, {
            erasureRequested: obj.erasureRequested === true,
          }),
        });
        return true;
      case 'GET /__sandbox/storage':
        json(ctx, 200, { mode: state.storage });
        return true;
      case 'POST /__sandbox/storage': {
        const mode = obj.mode;
        if (mode !== 'memory' && mode !== 'hash') {
          json(ctx, 400, { error: 'expected {"mode": "memory"|"hash"}' });
          return true;
        }
        setStorageMode(state, mode);
        json(ctx, 200, { mode });
        return true;
      }
      default:
        return false;
    }
  } catch (err) {
    if (!(err instanceof ControlError)) throw err;
    json(ctx, 404, { error: err.message });
    return true;
  }
}
