import { MultipartError, MultipartParser, type PartInfo, type PartSink } from './multipart.js';
import { BlobWriter, type StorageMode, type StoredBlob } from './storage.js';

/** One file part, hashed (and in memory mode kept) while it streamed in. */
export interface UploadedFile {
  field: string;
  /** The client's filename, reduced to its basename as Django's parser does. */
  filename: string;
  contentType?: string;
  blob: StoredBlob;
}

/** A parsed multipart body with Django QueryDict semantics: every value kept, `.get` = last. */
export interface MultipartForm {
  fields: Map<string, string[]>;
  files: Map<string, UploadedFile[]>;
}

/** Django's DATA_UPLOAD_MAX_MEMORY_SIZE: the cap on non-file fields (files have none). */
export const MAX_FIELD_BYTES = 2_621_440;

/**
 * Streams a multipart body from `source` (an http.IncomingMessage, say), hashing every file part
 * as it arrives. Memory stays flat in hash mode; in memory mode it holds the files' bytes only.
 */
export async function readMultipartForm(
  source: AsyncIterable<Buffer | string>,
  boundary: string,
  mode: StorageMode,
): Promise<MultipartForm> {
  const form: MultipartForm = { fields: new Map(), files: new Map() };
  let fieldBytes = 0;
  const onPart = (part: PartInfo): PartSink => {
    // Django skips file parts whose filename is empty (an empty <input type=file>).
    if (part.filename !== undefined) {
      if (part.filename === '') return discardSink();
      return fileSink(part, mode, form);
    }
    const pieces: Buffer[] = [];
    return {
      write(chunk) {
        fieldBytes += chunk.length;
        if (fieldBytes > MAX_FIELD_BYTES)
          throw new MultipartError('request body exceeded DATA_UPLOAD_MAX_MEMORY_SIZE');
        pieces.push(Buffer.from(chunk));
      },
      end() {
        pushValue(form.fields, part.name, Buffer.concat(pieces).toString('utf8'));
      },
    };
  };
  const parser = new MultipartParser(boundary, onPart);
  for await (const chunk of source) {
    parser.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  parser.end();
  return form;
}

function fileSink(part: PartInfo, mode: StorageMode, form: MultipartForm): PartSink {
  const writer = new BlobWriter(mode);
  return {
    write: (chunk) => writer.write(chunk),
    end() {
      const file: UploadedFile = {
        field: part.name,
        filename: clientBasename(part.filename ?? ''),
        ...(part.contentType !== undefined ? { contentType: part.contentType } : {}),
        blob: writer.finish(),
      };
      pushValue(form.files, part.name, file);
    },
  };
}

function discardSink(): PartSink {
  return { write() {}, end() {} };
}

function pushValue<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Django's MultiPartParser.sanitize_file_name: the basename, with Windows paths handled. */
export function clientBasename(filename: string): string {
  const normalized = filename.replace(/\\/g, '/');
  return normalized.slice(normalized.lastIndexOf('/') + 1).trim();
}

/**
 * Django's `get_valid_filename`, applied by storage when a simple upload (D6) is saved: spaces
 * become underscores and anything but letters, digits, `-`, `_` and `.` is dropped. Returns null
 * for names that end up empty or `.`/`..` (Django raises SuspiciousFileOperation there).
 */
export function djangoValidFilename(name: string): string | null {
  const cleaned = name
    .trim()
    .replace(/ /g, '_')
    .replace(/[^-\p{L}\p{N}_.]/gu, '');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? null : cleaned;
}
