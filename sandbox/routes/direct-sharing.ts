// Part 2's routes (docs/upstream.md §2.3 D2–D9, §2.5 OAuth2, the S3-like presigned PUT), listed
// once in routes/index.ts.
import type { Route } from '../router.js';
import { fileRoutes } from './direct-sharing-files.js';
import { memberRoutes } from './direct-sharing-members.js';
import { messageRoutes } from './direct-sharing-messages.js';
import { uploadRoutes } from './direct-sharing-uploads.js';
import { oauth2Routes } from './oauth2.js';
import { s3Routes } from './s3-put.js';

export const directSharingRoutes: Route[] = [
  ...memberRoutes,
  ...messageRoutes,
  ...uploadRoutes,
  ...fileRoutes,
  ...oauth2Routes,
  ...s3Routes,
];
