// The S3-like presigned PUT of direct uploads (docs/upstream.md §2.3 D7). S3's rules, as real
// clients meet them: no Content-Length (e.g. a chunked body) → 411 MissingContentLength; a
// Content-Type (or Content-MD5) header the URL was not signed with → 403 SignatureDoesNotMatch;
// an expired URL → 403 AccessDenied; a body that breaks off short of Content-Length → nothing
// stored; success → 200 with `ETag: "<md5>"`. The body streams through
// md5 and is kept only in 'memory' storage mode. GETs on the same paths are served by downloads.ts.
import { randomBytes } from 'node:crypto';
import { type RouteContext, send } from '../http.js';
import type { Route } from '../router.js';
import { checkS3, S3_PREFIX } from '../signing.js';
import { BlobWriter, blobContent } from '../uploads/storage.js';

/** S3's single-PUT limit: 5 GiB. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

/** S3's XML error document. */
export function s3ErrorXml(
  code: string,
  message: string,
  extra: Record<string, string> = {},
  requestId = 'SANDBOX',
): string {
  const esc = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const more = Object.entries(extra)
    .map(([k, v]) => `<${k}>${esc(v)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message>${more}<RequestId>${requestId}</RequestId><HostId>sandbox</HostId></Error>`;
}

function amzHeaders(): Record<string, string> {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  return {
    'x-amz-request-id': requestId,
    'x-amz-id-2': randomBytes(48).toString('base64'),
    Server: 'AmazonS3',
  };
}

function s3Error(
  ctx: RouteContext,
  status: number,
  code: string,
  message: string,
  extra?: Record<string, string>,
): void {
  const headers = amzHeaders();
  const xml = s3ErrorXml(code, message, extra, headers['x-amz-request-id']);
  // S3 closes the connection after refusing an upload it did not read.
  send(ctx, status, xml, { 'Content-Type': 'application/xml', Connection: 'close', ...headers });
}

async function put(ctx: RouteContext): Promise<void> {
  const { req } = ctx;
  let s3Key: string;
  try {
    s3Key = (ctx.params[0] ?? '').split('/').map(decodeURIComponent).join('/');
  } catch {
    return s3Error(ctx, 400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
  const lengthHeader = req.headers['content-length'];
  if (lengthHeader === undefined) {
    return s3Error(
      ctx,
      411,
      'MissingContentLength',
      'You must provide the Content-Length HTTP header.',
    );
  }
  const length = Number(lengthHeader);
  if (length > MAX_SINGLE_PUT_BYTES) {
    return s3Error(
      ctx,
      400,
      'EntityTooLarge',
      'Your proposed upload exceeds the maximum allowed size',
      {
        ProposedSize: String(length),
        MaxSizeAllowed: String(MAX_SINGLE_PUT_BYTES),
      },
    );
  }
  // The URL was signed with empty Content-Type and Content-MD5: sending either breaks it.
  const check =
    req.headers['content-md5'] !== undefined
      ? 'mismatch'
      : checkS3(
          ctx.state.s3,
          'PUT',
          s3Key,
          ctx.url.searchParams,
          ctx.state.now(),
          req.headers['content-type'] ?? '',
        );
  if (check === 'missing') return s3Error(ctx, 403, 'AccessDenied', 'Access Denied');
  if (check === 'mismatch') return s3Error(ctx, 403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  if (check === 'expired') return s3Error(ctx, 403, 'AccessDenied', 'Request has expired');

  const writer = new BlobWriter(ctx.state.storage);
  // A client that dies mid-body leaves nothing behind (S3 PUTs are atomic): the read fails and
  // nothing below runs. HTTP framing never hands over more than Content-Length bytes (the rest
  // is read as the next request); a body that ends short is S3's IncompleteBody.
  for await (const chunk of req) writer.write(chunk as Buffer);
  if (writer.bytesWritten !== length) {
    return s3Error(
      ctx,
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
      {
        NumberBytesExpected: String(length),
        NumberBytesProvided: String(writer.bytesWritten),
      },
    );
  }
  const blob = writer.finish();
  const { store } = ctx.state;
  const file = store.fileByS3Key(s3Key);
  if (file) {
    file.content = blobContent(blob);
    file.size = blob.size;
    file.md5 = blob.md5;
    store.updateFile(file);
  }
  send(ctx, 200, '', { ETag: `"${blob.md5}"`, ...amzHeaders() });
}

export const s3Routes: Route[] = [
  {
    id: 'S3_PUT',
    pattern: new RegExp(`^${escapeRe(S3_PREFIX)}(.+)$`),
    methods: ['PUT'],
    handle: put,
  },
];
