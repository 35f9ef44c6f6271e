// OAuth2 (docs/upstream.md §2.5): the token endpoint (DOT) and a minimal authorize page where a
// person picks which sandbox member they are; approving redirects to the project's redirect URI
// with `code`, `state` and `origin=external`, like Open Humans' AuthorizeOAuth2ProjectView.
import type { Membership, Project } from '../data/types.js';
import { page, type RouteContext, readBody, send, sendHtml } from '../http.js';
import { exactPath, type Route } from '../router.js';
import { approveAndMintCode, projectByClientId, tokenEndpoint } from './oauth2-grants.js';

const esc = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

async function token(ctx: RouteContext): Promise<void> {
  const raw = await readBody(ctx.req, 1024 * 1024);
  const answer = tokenEndpoint(
    ctx.state,
    ctx.req.headers.authorization,
    new URLSearchParams(raw.toString('utf8')),
  );
  send(ctx, answer.status, answer.body, {
    ...answer.headers,
    Vary: 'Accept-Language, Cookie',
    'X-Frame-Options': 'SAMEORIGIN',
  });
}

/** The authorize request's parameters (from the query on GET, the form on POST). */
interface AuthorizeParams {
  clientId: string | null;
  redirectUri: string | null;
  state: string | null;
  responseType: string | null;
  scope: string | null;
}

function paramsOf(p: URLSearchParams): AuthorizeParams {
  return {
    clientId: p.get('client_id'),
    redirectUri: p.get('redirect_uri'),
    state: p.get('state'),
    responseType: p.get('response_type'),
    scope: p.get('scope'),
  };
}

/** Validates like DOT; answers the error itself and returns null when the request is bad. */
function checkRequest(
  ctx: RouteContext,
  p: AuthorizeParams,
): { project: Project; redirectUri: string } | null {
  const project = projectByClientId(ctx.state, p.clientId);
  if (!project?.oauth2) {
    sendHtml(
      ctx,
      404,
      page(
        'Not Found',
        '<h1>Not Found</h1><p>The requested resource was not found on this server.</p>',
      ),
    );
    return null;
  }
  if (!project.active) {
    send(ctx, 302, '', {
      Location: '/direct-sharing/authorize-inactive/',
      'Content-Type': 'text/html; charset=utf-8',
    });
    return null;
  }
  const redirectUri = p.redirectUri ?? project.oauth2.redirectUrl;
  if (redirectUri !== project.oauth2.redirectUrl) {
    sendHtml(
      ctx,
      400,
      page('Error', '<h1>Error: invalid_request</h1><p>Mismatching redirect URI.</p>'),
    );
    return null;
  }
  if (p.responseType !== 'code') {
    sendHtml(ctx, 400, page('Error', '<h1>Error: unsupported_response_type</h1>'));
    return null;
  }
  return { project, redirectUri };
}

function memberLabel(ctx: RouteContext, m: Membership): string {
  const user = ctx.state.store.user(m.userId);
  const status = m.revoked ? ' — left the project, re-joins' : '';
  return `${user?.username ?? '?'} (project member ${m.projectMemberId})${status}`;
}

function authorizePage(ctx: RouteContext, p: AuthorizeParams, project: Project): string {
  const { store } = ctx.state;
  const members = store.membershipsOf(project.id).filter((m) => store.user(m.userId)?.active);
  const options = members
    .map((m) => `<option value="${esc(m.projectMemberId)}">${esc(memberLabel(ctx, m))}</option>`)
    .join('');
  const hidden = Object.entries({
    client_id: p.clientId,
    redirect_uri: p.redirectUri,
    state: p.state,
    response_type: p.responseType,
    scope: p.scope,
  })
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`)
    .join('');
  return page(
    `Authorize ${esc(project.name)}`,
    `<h1>Authorize “${esc(project.name)}”</h1>
<p>Open Humans sandbox: choose which synthetic member you are. No real data is involved.</p>
<form method="post">${hidden}
<label>Member <select name="project_member_id">${options}</select></label>
<label><input type="checkbox" name="hide-membership" value="hidden_membership"> Hide my membership</label>
<button type="submit" name="allow" value="Authorize">Authorize project</button>
<button type="submit" name="deny" value="Deny">Deny</button>
</form>`,
  );
}

/** `redirect_uri` plus query parameters, kept after any query it already has. */
function redirectWith(uri: string, params: Record<string, string | null>): string {
  const q = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return `${uri}${uri.includes('?') ? '&' : '?'}${q}`;
}

async function authorize(ctx: RouteContext): Promise<void> {
  if (ctx.req.method !== 'POST') {
    const p = paramsOf(ctx.url.searchParams);
    const ok = checkRequest(ctx, p);
    if (ok) sendHtml(ctx, 200, authorizePage(ctx, p, ok.project));
    return;
  }
  const form = new URLSearchParams((await readBody(ctx.req, 1024 * 1024)).toString('utf8'));
  const p = paramsOf(form);
  const ok = checkRequest(ctx, p);
  if (!ok) return;
  let location: string;
  if (!form.has('allow')) {
    location = redirectWith(ok.redirectUri, { error: 'access_denied', state: p.state });
  } else {
    const m = ctx.state.store.membershipByProjectMemberId(form.get('project_member_id') ?? '');
    if (!m || m.projectId !== ok.project.id) {
      return sendHtml(ctx, 400, page('Error', '<h1>Choose a member of this project.</h1>'));
    }
    if (form.get('hide-membership') === 'hidden_membership') m.visible = false;
    const code = approveAndMintCode(ctx.state, ok.project, m, ok.redirectUri);
    location = redirectWith(ok.redirectUri, { code, state: p.state, origin: 'external' });
  }
  send(ctx, 302, '', { Location: location, 'Content-Type': 'text/html; charset=utf-8' });
}

export const oauth2Routes: Route[] = [
  {
    id: 'OAUTH_TOKEN',
    pattern: exactPath('/oauth2/token/'),
    methods: ['POST'],
    handle: token,
    onOtherMethod(ctx) {
      // Django's View.http_method_not_allowed: an empty 405.
      send(ctx, 405, '', { Allow: 'POST, OPTIONS', 'Content-Type': 'text/html; charset=utf-8' });
    },
  },
  {
    id: 'OAUTH_AUTHORIZE',
    pattern: exactPath('/direct-sharing/projects/oauth2/authorize/'),
    methods: ['GET', 'POST'],
    handle: authorize,
  },
  {
    id: 'OAUTH_AUTHORIZE',
    pattern: exactPath('/oauth2/authorize/'),
    methods: ['GET', 'POST'],
    handle: authorize,
  },
];
