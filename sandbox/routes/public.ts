// Public API P1–P13 (docs/upstream.md §2.1), in the resolution order of open_humans/api_urls.py.
// List filters on P1/P3/P6/P10 are ignored, as on the current production pins; the nested lists
// filter by their path. Unknown ids on nested lists raise in the view → the HTML 500 page.
import type { DataFile } from '../data/types.js';
import {
  queryParam,
  type RouteContext,
  sendDetailNotFound,
  sendJson,
  sendJsonText,
  sendServerError,
} from '../http.js';
import { paginate, paginateJson } from '../pagination.js';
import { exactPath, type Route, rePath } from '../router.js';
import {
  publicFileJson,
  serializeDataType,
  serializeProject,
  serializePublicFile,
  serializePublicMember,
} from '../serializers.js';

const API = '/api/';

/** `distutils.util.strtobool`; null for a value it would reject with ValueError. */
export function strtobool(raw: string): boolean | null {
  const v = raw.toLowerCase();
  if (['y', 'yes', 't', 'true', 'on', '1'].includes(v)) return true;
  if (['n', 'no', 'f', 'false', 'off', '0'].includes(v)) return false;
  return null;
}

function num(ctx: RouteContext): number {
  return Number(ctx.params[0]);
}

function fileList(ctx: RouteContext, files: readonly DataFile[]): void {
  const username = queryParam(ctx.url, 'username');
  const state = ctx.state;
  sendJsonText(
    ctx,
    200,
    paginateJson(ctx, files, (f) => publicFileJson(state, f, username)),
  );
}

export const publicRoutes: Route[] = [
  {
    id: 'P1',
    pattern: exactPath('/api/public/datafiles/'),
    methods: ['GET'],
    handle(ctx) {
      fileList(ctx, ctx.state.store.publicIndexes().all);
    },
  },
  {
    id: 'P2',
    pattern: rePath(API, 'public/datafile/([0-9]+)/'),
    methods: ['GET'],
    handle(ctx) {
      const f = ctx.state.store.file(num(ctx));
      if (!f || !ctx.state.store.isPublic(f)) return sendDetailNotFound(ctx, 'ProjectDataFile');
      sendJson(ctx, 200, serializePublicFile(ctx.state, f, queryParam(ctx.url, 'username')));
    },
  },
  {
    id: 'P3',
    pattern: exactPath('/api/public/datatypes/'),
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      sendJson(
        ctx,
        200,
        paginate(ctx, store.listDataTypes(), (d) => serializeDataType(store, d)),
      );
    },
  },
  {
    id: 'P5',
    pattern: rePath(API, 'public/datatype/([0-9]+)/datafiles/'),
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      const raw = queryParam(ctx.url, 'include_children');
      const includeChildren = raw === undefined ? false : strtobool(raw);
      if (includeChildren === null) return sendServerError(ctx);
      const id = num(ctx);
      if (!store.dataType(id)) return sendServerError(ctx);
      fileList(ctx, store.publicIndexes().ofDataType(id, includeChildren));
    },
  },
  {
    id: 'P4',
    pattern: rePath(API, 'public/datatype/([0-9]+)/'),
    methods: ['GET'],
    handle(ctx) {
      const d = ctx.state.store.dataType(num(ctx));
      if (!d) return sendDetailNotFound(ctx, 'DataType');
      sendJson(ctx, 200, serializeDataType(ctx.state.store, d));
    },
  },
  {
    id: 'P6',
    pattern: exactPath('/api/public/members/'),
    methods: ['GET'],
    handle(ctx) {
      sendJson(ctx, 200, paginate(ctx, ctx.state.store.publicMembers(), serializePublicMember));
    },
  },
  {
    id: 'P8',
    pattern: rePath(API, 'public/member/([A-Za-z_0-9]+)/datafiles/'),
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      const user = store.userByUsername(ctx.params[0] ?? '');
      if (!user?.active || user.username === 'api-administrator') return sendServerError(ctx);
      fileList(ctx, store.publicIndexes().ofUser(user.id));
    },
  },
  {
    id: 'P9',
    pattern: rePath(API, 'public/member/([A-Za-z_0-9]+)/projects/'),
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      const user = store.userByUsername(ctx.params[0] ?? '');
      if (!user?.active || user.username === 'api-administrator') return sendServerError(ctx);
      sendJson(
        ctx,
        200,
        paginate(ctx, store.projectsOfUser(user.id), (p) => serializeProject(store, p)),
      );
    },
  },
  {
    id: 'P7',
    pattern: rePath(API, 'public/member/([A-Za-z_0-9]+)/'),
    methods: ['GET'],
    handle(ctx) {
      const user = ctx.state.store.userByUsername(ctx.params[0] ?? '');
      if (!user?.active || user.username === 'api-administrator')
        return sendDetailNotFound(ctx, 'Member');
      sendJson(ctx, 200, serializePublicMember(user));
    },
  },
  {
    id: 'P12',
    pattern: rePath(API, 'public/project/([0-9]+)/datafiles/'),
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      const p = store.project(num(ctx));
      if (!p?.approved) return sendServerError(ctx);
      fileList(ctx, store.publicIndexes().ofProject(p.id));
    },
  },
  {
    id: 'P13',
    pattern: rePath(API, 'public/project/([0-9]+)/members'),
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      const p = store.project(num(ctx));
      if (!p?.approved) return sendServerError(ctx);
      sendJson(ctx, 200, paginate(ctx, store.visibleMembers(p.id), serializePublicMember));
    },
  },
  {
    id: 'P11',
    pattern: rePath(API, 'public/project/([0-9]+)/'),
    methods: ['GET'],
    handle(ctx) {
      const p = ctx.state.store.project(num(ctx));
      if (!p?.approved) return sendDetailNotFound(ctx, 'DataRequestProject');
      sendJson(ctx, 200, serializeProject(ctx.state.store, p));
    },
  },
  {
    id: 'P10',
    pattern: exactPath('/api/public/projects/'),
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      sendJson(
        ctx,
        200,
        paginate(ctx, store.approvedProjects(), (p) => serializeProject(store, p)),
      );
    },
  },
];
