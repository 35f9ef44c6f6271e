// File downloads (docs/upstream.md §2.4): `/data-management/datafile-download/<id>/?key=` checks
// the key (1 h) and answers 302 to the sandbox's own S3-like signed GET (10 min), which serves
// the file's bytes.
import { PUBLIC_ORIGIN } from '../data/types.js';
import { page, queryParam, type RouteContext, send, sendHtml } from '../http.js';
import type { Route } from '../router.js';
import { checkDownloadKey, checkS3, S3_GET_TTL_S, S3_PREFIX, s3Path, signS3 } from '../signing.js';

const NOT_AUTHORIZED = page('Forbidden', '<h1>You are not authorized to view this file.</h1>');
const UNAVAILABLE = page('Forbidden', '<h1>This file is unavailable.</h1>');

function s3Error(ctx: RouteContext, status: number, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>SANDBOX</RequestId><HostId>sandbox</HostId></Error>`;
  send(ctx, status, xml, { 'Content-Type': 'application/xml' });
}

export const downloadRoutes: Route[] = [
  {
    id: 'DOWNLOAD',
    pattern: /^\/data-management\/datafile-download\/([0-9]+)\/$/,
    methods: ['GET'],
    handle(ctx) {
      const { store, secret } = ctx.state;
      const now = ctx.state.now();
      const fileId = Number(ctx.params[0]);
      const key = queryParam(ctx.url, 'key') ?? '';
      if (checkDownloadKey(secret, fileId, key, now) !== 'ok')
        return sendHtml(ctx, 403, NOT_AUTHORIZED);
      const file = store.file(fileId);
      if (!file?.completed) return sendHtml(ctx, 403, UNAVAILABLE);
      const expires = Math.floor(now / 1000) + S3_GET_TTL_S;
      const location = `${ctx.state.baseUrl}${s3Path(file.s3Key)}?${signS3(ctx.state.s3, 'GET', file.s3Key, expires)}&x-oh-key=${key}`;
      send(ctx, 302, '', { Location: location, 'Content-Type': 'text/html; charset=utf-8' });
    },
  },
  {
    id: 'S3_GET',
    pattern: new RegExp(`^${S3_PREFIX.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}(.+)$`),
    // PUT on the same paths is part 2's S3_PUT route (the router matches on method too).
    methods: ['GET'],
    handle(ctx) {
      const { store } = ctx.state;
      let s3Key: string;
      try {
        s3Key = (ctx.params[0] ?? '').split('/').map(decodeURIComponent).join('/');
      } catch {
        return s3Error(ctx, 400, 'InvalidURI', "Couldn't parse the specified URI.");
      }
      const check = checkS3(ctx.state.s3, 'GET', s3Key, ctx.url.searchParams, ctx.state.now());
      if (check === 'missing') return s3Error(ctx, 403, 'AccessDenied', 'Access Denied');
      if (check === 'mismatch')
        return s3Error(
          ctx,
          403,
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        );
      if (check === 'expired') return s3Error(ctx, 403, 'AccessDenied', 'Request has expired');
      const file = store.fileByS3Key(s3Key);
      const bytes = file ? store.bytesOf(file) : null;
      if (!file || !bytes)
        return s3Error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
      const md5 = store.md5Of(file) ?? '';
      send(ctx, 200, bytes, {
        'Content-Type': 'binary/octet-stream',
        ETag: `"${md5}"`,
        'Last-Modified': new Date(file.created).toUTCString(),
        'Accept-Ranges': 'bytes',
      });
    },
  },
];

/** Production origin of download links (re-exported for tests). */
export const DOWNLOAD_ORIGIN = PUBLIC_ORIGIN;
