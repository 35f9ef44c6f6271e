// D1 `GET /api/direct-sharing/project/`: the token's project (master or OAuth2 user token),
// approved or not.
import { requireAuth } from '../auth.js';
import { sendJson } from '../http.js';
import { exactPath, type Route } from '../router.js';
import { serializeProject } from '../serializers.js';

export const projectInfoRoutes: Route[] = [
  {
    id: 'D1',
    pattern: exactPath('/api/direct-sharing/project/'),
    methods: ['GET'],
    handle(ctx) {
      const auth = requireAuth(ctx, { oauth2: true, master: true });
      if (!auth) return;
      sendJson(ctx, 200, serializeProject(ctx.state.store, auth.project));
    },
    onOtherMethod(ctx) {
      // DRF authenticates before it checks the method.
      const auth = requireAuth(ctx, { oauth2: true, master: true });
      if (auth) sendJson(ctx, 405, { detail: `Method "${ctx.req.method ?? ''}" not allowed.` });
    },
  },
];
