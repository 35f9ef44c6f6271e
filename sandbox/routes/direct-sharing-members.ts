// D2 `GET /api/direct-sharing/project/members/` and D3 `GET …/exchange-member/`
// (docs/upstream.md §2.3, §5.5, §5.6), production 500s included: the members list builds its
// `exchange_member` links from `request.GET["access_token"]`, so a header-only token fails as soon
// as a page holds a member; exchange-member with a master token and no `project_member_id` hits
// an UnboundLocalError.
import { type AuthOk, type AuthOptions, requireAuth } from '../auth.js';
import { type Membership, PUBLIC_ORIGIN } from '../data/types.js';
import { queryParam, type RouteContext, sendJson, sendServerError } from '../http.js';
import { paginate } from '../pagination.js';
import { exactPath, type Route } from '../router.js';
import { drfDate, idLabel, serializePrivateFile } from '../serializers.js';

const ALLOW_GET = 'GET, HEAD, OPTIONS';
const MEMBERS_AUTH: AuthOptions = { oauth2: false, master: true };
const EXCHANGE_AUTH: AuthOptions = { oauth2: true, master: true };

/** §5.5 ProjectMember, key order from the serializer's Meta.fields. */
function serializeMember(
  ctx: RouteContext,
  m: Membership,
  accessToken: string,
): Record<string, unknown> {
  const { store } = ctx.state;
  const files = store.memberFilesForProject(m);
  const username = m.usernameShared ? store.user(m.userId)?.username : undefined;
  return {
    created: drfDate(m.created),
    project_member_id: m.projectMemberId,
    file_count: files.length,
    exchange_member: `${PUBLIC_ORIGIN}/api/direct-sharing/project/exchange-member/?project_member_id=${m.projectMemberId}&access_token=${accessToken}`,
    sources_shared: m.grantedSources.map(idLabel),
    ...(username ? { username } : {}),
    // `[:10]` on an unordered queryset; the sandbox takes the first ten in D3's order.
    data: files.slice(0, 10).map((f) => serializePrivateFile(ctx.state, f)),
  };
}

function membersList(ctx: RouteContext, auth: AuthOk): void {
  const members = ctx.state.store.activeMembers(auth.project.id);
  const queryToken = queryParam(ctx.url, 'access_token');
  let keyError = false;
  const body = paginate(ctx, members, (m) => {
    if (queryToken === undefined) {
      keyError = true;
      return {};
    }
    return serializeMember(ctx, m, queryToken);
  });
  if (keyError) {
    sendServerError(ctx);
    return;
  }
  sendJson(ctx, 200, body);
}

/** The membership D3 reports on, or null after answering an error. */
function exchangeMembership(ctx: RouteContext, auth: AuthOk): Membership | null {
  if (auth.kind === 'oauth2') {
    if (auth.membership) return auth.membership;
    sendServerError(ctx); // DataRequestProjectMember.DoesNotExist
    return null;
  }
  const pmi = queryParam(ctx.url, 'project_member_id');
  if (!pmi) {
    sendServerError(ctx); // UnboundLocalError: project_member only bound inside `if pmi:`
    return null;
  }
  // Matched by id and project only: no joined/authorized/revoked check with a master token.
  const m = ctx.state.store.membershipByProjectMemberId(pmi);
  if (m && m.projectId === auth.project.id) return m;
  sendJson(ctx, 400, { project_member_id: 'project_member_id is invalid' });
  return null;
}

function exchangeMember(ctx: RouteContext, auth: AuthOk): void {
  const m = exchangeMembership(ctx, auth);
  if (!m) return;
  const { store } = ctx.state;
  const page = paginate(ctx, store.memberFilesForProject(m), (f) =>
    serializePrivateFile(ctx.state, f),
  );
  const username = m.usernameShared ? store.user(m.userId)?.username : undefined;
  sendJson(ctx, 200, {
    count: page.count,
    next: page.next,
    previous: page.previous,
    created: drfDate(m.created),
    project_member_id: m.projectMemberId,
    sources_shared: m.grantedSources.map(idLabel),
    ...(username ? { username } : {}),
    data: page.results,
  });
}

function getRoute(
  id: 'D2' | 'D3',
  path: string,
  auth: AuthOptions,
  handle: (ctx: RouteContext, auth: AuthOk) => void,
): Route {
  return {
    id,
    pattern: exactPath(path),
    methods: ['GET'],
    handle(ctx) {
      const ok = requireAuth(ctx, auth);
      if (ok) handle(ctx, ok);
    },
    onOtherMethod(ctx) {
      // DRF authenticates before it checks the method.
      if (requireAuth(ctx, auth))
        sendJson(
          ctx,
          405,
          { detail: `Method "${ctx.req.method ?? ''}" not allowed.` },
          {},
          ALLOW_GET,
        );
    },
  };
}

export const memberRoutes: Route[] = [
  getRoute('D2', '/api/direct-sharing/project/members/', MEMBERS_AUTH, membersList),
  getRoute('D3', '/api/direct-sharing/project/exchange-member/', EXCHANGE_AUTH, exchangeMember),
];
