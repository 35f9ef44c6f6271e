/**
 * A streaming multipart/form-data parser (RFC 7578). It never holds more than one incoming chunk
 * plus a delimiter's worth of bytes; file parts go straight to a sink, so an upload of any size
 * costs constant memory. Plain fields are collected up to a limit (Django's
 * DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB, applies to non-file fields the same way).
 */

/** The parsed headers of one part. */
export interface PartInfo {
  name: string;
  /** Present (possibly empty) when the part carries `filename=`, i.e. it is a file. */
  filename?: string;
  contentType?: string;
}

/** Receives one part's body. `end` is called once the closing delimiter is seen. */
export interface PartSink {
  write(chunk: Buffer): void;
  end(): void;
}

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_PREAMBLE_BYTES = 64 * 1024;

type State = 'preamble' | 'after-boundary' | 'headers' | 'body' | 'done';

/** The `boundary` parameter of a multipart Content-Type header, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
}

/** Push parser: feed chunks with `write`, then call `end`. Throws MultipartError on bad input. */
export class MultipartParser {
  private readonly dashBoundary: Buffer;
  private readonly delimiter: Buffer;
  private buffer: Buffer = Buffer.alloc(0);
  private state: State = 'preamble';
  private sink: PartSink | null = null;
  private preambleSeen = 0;

  constructor(
    boundary: string,
    private readonly onPart: (part: PartInfo) => PartSink,
  ) {
    this.dashBoundary = Buffer.from(`--${boundary}`, 'latin1');
    this.delimiter = Buffer.concat([CRLF, this.dashBoundary]);
  }

  get isDone(): boolean {
    return this.state === 'done';
  }

  write(chunk: Buffer): void {
    if (this.state === 'done') return; // epilogue: ignored, as RFC 2046 says
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let progressed = true;
    while (progressed && !this.isDone) progressed = this.step();
  }

  end(): void {
    if (this.state !== 'done')
      throw new MultipartError('multipart body ended before its closing delimiter');
  }

  /** Runs one state transition; returns false when more input is needed. */
  private step(): boolean {
    switch (this.state) {
      case 'preamble':
        return this.stepPreamble();
      case 'after-boundary':
        return this.stepAfterBoundary();
      case 'headers':
        return this.stepHeaders();
      case 'body':
        return this.stepBody();
      default:
        return false;
    }
  }

  private stepPreamble(): boolean {
    const at = this.buffer.indexOf(this.dashBoundary);
    if (at < 0) {
      const keep = Math.min(this.buffer.length, this.dashBoundary.length - 1);
      this.preambleSeen += this.buffer.length - keep;
      if (this.preambleSeen > MAX_PREAMBLE_BYTES)
        throw new MultipartError('no multipart boundary found');
      this.buffer = this.buffer.subarray(this.buffer.length - keep);
      return false;
    }
    this.buffer = this.buffer.subarray(at + this.dashBoundary.length);
    this.state = 'after-boundary';
    return true;
  }

  private stepAfterBoundary(): boolean {
    // Transport padding (spaces/tabs) may follow a delimiter before its CRLF.
    let i = 0;
    while (i < this.buffer.length && (this.buffer[i] === 0x20 || this.buffer[i] === 0x09)) i++;
    if (this.buffer.length - i < 2) return false;
    if (this.buffer[i] === 0x2d && this.buffer[i + 1] === 0x2d) {
      this.state = 'done';
      this.buffer = Buffer.alloc(0);
      return false;
    }
    if (this.buffer[i] !== 0x0d || this.buffer[i + 1] !== 0x0a) {
      throw new MultipartError('malformed multipart delimiter');
    }
    this.buffer = this.buffer.subarray(i + 2);
    this.state = 'headers';
    return true;
  }

  private stepHeaders(): boolean {
    let headerText: string;
    if (this.buffer.subarray(0, 2).equals(CRLF)) {
      headerText = '';
      this.buffer = this.buffer.subarray(2);
    } else {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES)
          throw new MultipartError('part headers too large');
        return false;
      }
      headerText = this.buffer.subarray(0, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + HEADER_END.length);
    }
    this.sink = this.onPart(parsePartHeaders(headerText));
    this.state = 'body';
    return true;
  }

  private stepBody(): boolean {
    const sink = this.sink;
    if (!sink) throw new MultipartError('internal: no sink for part body');
    const at = this.buffer.indexOf(this.delimiter);
    if (at >= 0) {
      if (at > 0) sink.write(this.buffer.subarray(0, at));
      sink.end();
      this.sink = null;
      this.buffer = this.buffer.subarray(at + this.delimiter.length);
      this.state = 'after-boundary';
      return true;
    }
    // Everything except a possible delimiter prefix at the end is body.
    const safe = this.buffer.length - (this.delimiter.length - 1);
    if (safe > 0) {
      sink.write(this.buffer.subarray(0, safe));
      this.buffer = Buffer.from(this.buffer.subarray(safe));
    }
    return false;
  }
}

/** Parses a part's header block (Content-Disposition and Content-Type only). */
export function parsePartHeaders(text: string): PartInfo {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) {
    throw new MultipartError('multipart part without form-data Content-Disposition');
  }
  const params = dispositionParams(disposition);
  const name = params.get('name');
  if (name === undefined) throw new MultipartError('multipart part without a name');
  const filename = params.get('filename');
  return {
    name,
    ...(filename !== undefined ? { filename } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}

function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = (m[1] ?? '').toLowerCase();
    // Like Django's parse_header: only \\ and \" are unescaped (Windows paths keep their
    // backslashes).
    const raw =
      m[2] !== undefined ? m[2].replace(/\\\\/g, '\\').replace(/\\"/g, '"') : (m[3] ?? '').trim();
    params.set(key, raw);
  }
  return params;
}
