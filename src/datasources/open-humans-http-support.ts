import type { UpstreamFailure } from './upstream-error.js';

/**
 * Pure helpers of the HTTP layer (`open-humans-http.ts`): failure classification and HTML error
 * pages.
 */

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** Classifies a thrown error by `err.code`/`name` (undici's documented way), never by message. */
export function classify(
  err: unknown,
  signal: AbortSignal | undefined,
  deadline?: AbortSignal,
): UpstreamFailure {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout';
  if (name === 'TimeoutError' || deadline?.aborted) return 'timeout';
  if (signal?.aborted || code === 'UND_ERR_ABORTED' || name === 'AbortError') return 'aborted';
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'bad_response';
  return 'connection';
}

export const isHtml = (contentType: string, text: string): boolean =>
  contentType.includes('text/html') || /^\s*<(!doctype|html|head|body|h1)/i.test(text);

/** First `<h1>`/`<title>` of an HTML error page: enough for a log line, never the whole page. */
export function htmlSummary(text: string): string | undefined {
  const match =
    /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(text) ?? /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
  return (
    match?.[1]
      ?.replace(/<[^>]+>/g, '')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 200) || undefined
  );
}

/**
 * A short detail of an error answer: the HTML page's heading, DRF's `detail`, or the start of the
 * body.
 */
export function statusDetail(
  text: string,
  html: boolean,
  parsed: boolean,
  json: unknown,
): string | undefined {
  if (html) return htmlSummary(text);
  if (
    parsed &&
    json &&
    typeof json === 'object' &&
    typeof (json as { detail?: unknown }).detail === 'string'
  ) {
    return (json as { detail: string }).detail;
  }
  return parsed ? JSON.stringify(json).slice(0, 300) : text.slice(0, 200) || undefined;
}
