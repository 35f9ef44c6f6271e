// Unit tests of the sandbox's upload building blocks: the streaming multipart parser, the hashing
// blob writer in both storage modes, and the §4 upload validation messages.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MultipartError,
  MultipartParser,
  multipartBoundary,
} from '../../sandbox/uploads/multipart.js';
import { djangoValidFilename, readMultipartForm } from '../../sandbox/uploads/multipart-form.js';
import { UnhandledServerError } from '../../sandbox/uploads/py.js';
import { BlobWriter } from '../../sandbox/uploads/storage.js';
import {
  arrowAccepts,
  cleanDatatypes,
  cleanMetadata,
  type DatatypeCatalog,
} from '../../sandbox/uploads/validate.js';

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

function multipartBody(
  boundary: string,
  parts: Array<{ name: string; filename?: string; body: Buffer | string }>,
): Buffer {
  const chunks: Buffer[] = [Buffer.from('preamble to ignore\r\n')];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n`));
    if (p.filename !== undefined)
      chunks.push(Buffer.from('Content-Type: application/octet-stream\r\n'));
    chunks.push(Buffer.from('\r\n'), Buffer.from(p.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\nepilogue`));
  return Buffer.concat(chunks);
}

/** Splits a buffer into pieces of the given sizes (cycled). */
function* pieces(buf: Buffer, sizes: number[]): Generator<Buffer> {
  let at = 0;
  for (let i = 0; at < buf.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    yield buf.subarray(at, at + n);
    at += n;
  }
}

async function* iterate(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* chunks;
}

describe('streaming multipart parser', () => {
  const boundary = '----sandboxBoundary7MA4YWxk';
  // File content that contains almost-delimiters, CRLFs and the boundary without its leading CRLF.
  const tricky = Buffer.concat([
    Buffer.from(`line\r\n--${boundary.slice(0, -1)}X\r\n`),
    Buffer.from(`x--${boundary}`), // not preceded by CRLF: not a delimiter
    Buffer.alloc(70_000, 0xab),
    Buffer.from('\r\n-\r\n--\r'),
  ]);
  const body = multipartBody(boundary, [
    { name: 'metadata', body: '{"description": "d", "tags": []}' },
    { name: 'project_member_id', body: '12345678' },
    { name: 'project_member_id', body: '87654321' },
    { name: 'data_file', filename: 'C:\\Users\\me\\data file.csv', body: tricky },
  ]);

  for (const sizes of [[1], [7, 13, 1], [4096], [body.length]]) {
    it(`gives the same fields and file hash whatever the chunking (${sizes.join(',')})`, async () => {
      const form = await readMultipartForm(iterate(pieces(body, sizes)), boundary, 'memory');
      expect(form.fields.get('metadata')).toEqual(['{"description": "d", "tags": []}']);
      expect(form.fields.get('project_member_id')).toEqual(['12345678', '87654321']);
      const file = form.files.get('data_file')?.[0];
      expect(file?.filename).toBe('data file.csv');
      expect(file?.blob.size).toBe(tricky.length);
      expect(file?.blob.md5).toBe(md5(tricky));
      expect(Buffer.concat(file?.blob.chunks ?? []).equals(tricky)).toBe(true);
    });
  }

  it('keeps no bytes in hash mode but still measures them', async () => {
    const form = await readMultipartForm(iterate([body]), boundary, 'hash');
    const file = form.files.get('data_file')?.[0];
    expect(file?.blob.chunks).toBeNull();
    expect(file?.blob.md5).toBe(md5(tricky));
  });

  it('skips file parts with an empty filename, as Django does', async () => {
    const b = multipartBody(boundary, [{ name: 'data_file', filename: '', body: 'x' }]);
    const form = await readMultipartForm(iterate([b]), boundary, 'memory');
    expect(form.files.size).toBe(0);
  });

  it('rejects a body without its closing delimiter', async () => {
    const cut = body.subarray(0, body.length - 30);
    await expect(readMultipartForm(iterate([cut]), boundary, 'hash')).rejects.toBeInstanceOf(
      MultipartError,
    );
  });

  it('rejects a part without Content-Disposition', () => {
    const parser = new MultipartParser('b', () => ({ write() {}, end() {} }));
    expect(() =>
      parser.write(Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--')),
    ).toThrow(MultipartError);
  });

  it('reads the boundary from the Content-Type header', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('application/json')).toBeNull();
  });

  it("applies Django's get_valid_filename to simple-upload names", () => {
    expect(djangoValidFilename('my file (1).csv')).toBe('my_file_1.csv');
    expect(djangoValidFilename('..')).toBeNull();
  });
});

describe('BlobWriter', () => {
  it('hashes incrementally in both modes', () => {
    for (const mode of ['memory', 'hash'] as const) {
      const w = new BlobWriter(mode);
      w.write(Buffer.from('hello '));
      w.write(Buffer.from('world'));
      const blob = w.finish();
      expect(blob).toMatchObject({ size: 11, md5: md5('hello world') });
      expect(blob.chunks === null).toBe(mode === 'hash');
    }
  });
});

describe('upload metadata validation (§4, exact messages)', () => {
  const cases: Array<[string, string | null]> = [
    ['not json', 'could not parse the uploaded metadata'],
    ['{}', '"description" is a required field of the metadata'],
    ['{"description": 5}', '"description" must be a string'],
    ['{"description": "d"}', '"tags" is a required field of the metadata'],
    ['{"description": "d", "tags": "a"}', '"tags" must be an array of strings'],
    ['{"description": "d", "tags": [1, {}]}', null], // element types are not checked
    [
      '{"description": "", "tags": [], "creation_date": "yesterday"}',
      'Dates must be in ISO 8601 format',
    ],
    ['{"description": "", "tags": [], "start_date": "2018-06-08 10:07:26+00:00"}', null],
    ['{"description": "", "tags": [], "end_date": "2018-06-08T10:07:26.123Z"}', null],
    ['{"description": "", "tags": [], "md5": "xyz"}', 'Invalid MD5 specified'],
    ['{"description": "", "tags": [], "md5": "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzextra"}', null], // prefix, not hex
    ['["description"]', null], // list "contains" description, then indexing crashes → see below
  ];
  for (const [text, message] of cases.slice(0, -1)) {
    it(`${text} → ${message ?? 'valid'}`, () => {
      const result = cleanMetadata(text);
      if (message === null) expect(result.ok).toBe(true);
      else expect(result).toEqual({ ok: false, errors: [message] });
    });
  }

  it('answers 500-style errors where production raises', () => {
    expect(() => cleanMetadata('["description"]')).toThrow(UnhandledServerError);
    expect(() => cleanMetadata('5')).toThrow(UnhandledServerError);
    expect(() => arrowAccepts('2018-13-01')).toThrow(UnhandledServerError);
    expect(arrowAccepts(1528452446)).toBe(true);
  });
});

describe('upload datatypes validation', () => {
  const catalog: DatatypeCatalog = {
    byId: (id) =>
      [
        { id: 1, name: 'Genome' },
        { id: 2, name: 'Heart rate' },
        { id: 3, name: 'Sleep' },
      ].find((d) => d.id === id),
    byName: (n) =>
      [
        { id: 1, name: 'Genome' },
        { id: 2, name: 'Heart rate' },
        { id: 3, name: 'Sleep' },
      ].find((d) => d.name.toLowerCase() === n.toLowerCase()),
    registeredIds: [1, 2],
    anyDatatypes: false,
    autoAddDatatypes: true,
  };

  it('accepts ids and case-insensitive names, deduplicated', () => {
    expect(cleanDatatypes('[2, 1, 2]', catalog)).toEqual({ ok: true, value: [1, 2] });
    expect(cleanDatatypes('["heart RATE"]', catalog)).toEqual({ ok: true, value: [2] });
  });

  it('attaches the registered datatypes when omitted and auto_add_datatypes is set', () => {
    expect(cleanDatatypes('', catalog)).toEqual({ ok: true, value: [1, 2] });
  });

  it('names unknown, unregistered and unparsable datatypes like production', () => {
    expect(cleanDatatypes('[99]', catalog)).toEqual({
      ok: false,
      errors: ["The following datatypes don't match items in our database: [99]"],
    });
    expect(cleanDatatypes('["Sleep"]', catalog)).toEqual({
      ok: false,
      errors: ["The following datatypes aren't registered for this project: ['Sleep']"],
    });
    expect(cleanDatatypes('[1,', catalog)).toEqual({
      ok: false,
      errors: ["Could not parse the uploaded datatypes from: '[1,'"],
    });
  });
});
