// Route modules, in resolution order. Part 2 (direct-sharing D2–D9, uploads, S3 PUT, OAuth2)
// appends its modules here.
import type { Route } from '../router.js';
import { directSharingRoutes } from './direct-sharing.js';
import { downloadRoutes } from './downloads.js';
import { projectInfoRoutes } from './project-info.js';
import { publicRoutes } from './public.js';

export const routeModules: ReadonlyArray<readonly Route[]> = [
  publicRoutes,
  projectInfoRoutes,
  downloadRoutes,
  directSharingRoutes,
];
