/**
 * Seeded generator of malformed requests for the bad-input soak: invalid JSON, wrong variable
 * types, bad cursors and ids, huge pages, deep and wide queries, oversized and malformed
 * multipart, protocol misuse and bad credentials. Same seed, same requests.
 */

export interface BadRequest {
  category: string;
  method: string;
  /** Path and query string. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface Secrets {
  masterToken: string;
  expiredToken: string;
  memberTokens: string[];
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(
    readonly rnd: () => number,
    readonly secrets: Secrets,
  ) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.rnd() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rnd() * items.length)] as T;
  }
  chars(
    n: number,
    alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=_-:{}[]"\\ \n\t',
  ): string {
    let s = '';
    for (let i = 0; i < n; i += 1) s += alphabet[Math.floor(this.rnd() * alphabet.length)];
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i += 1) b[i] = Math.floor(this.rnd() * 256);
    return b;
  }
  /** A token for an Authorization header, sometimes real, sometimes not. */
  token(): string {
    const { masterToken, expiredToken, memberTokens } = this.secrets;
    return this.pick([
      masterToken,
      expiredToken,
      this.pick(memberTokens),
      `fake-soak-token-${this.chars(20, 'abcdef0123456789')}`,
    ]);
  }
}

const JSON_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json, application/json',
};

const post = (
  category: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): BadRequest => ({
  category,
  method: 'POST',
  path: '/graphql',
  headers: { ...JSON_HEADERS, ...headers },
  body,
});

const gql = (
  category: string,
  query: string,
  variables?: unknown,
  headers?: Record<string, string>,
): BadRequest => post(category, JSON.stringify({ query, variables }), headers);

function invalidJson(g: Gen): BadRequest {
  const valid = JSON.stringify({ query: '{ projects(first: 2) { totalCount } }' });
  const body = g.pick([
    () => valid.slice(0, g.int(0, valid.length - 1)),
    () => g.chars(g.int(1, 300)),
    () => g.bytes(g.int(1, 2000)),
    () =>
      g.pick([
        '',
        '{',
        'null',
        '[]',
        '123',
        '"x"',
        'true',
        '{"query":null}',
        '{"query":5}',
        '{"query":{}}',
      ]),
    () => JSON.stringify({ query: '{ __typename }', variables: g.pick(['x', 5, [1], true]) }),
    () => JSON.stringify({ query: '{ __typename }', operationName: g.pick([5, {}, [], true]) }),
    () => JSON.stringify({ query: '{ __typename }', extensions: g.pick(['x', 5, [1]]) }),
    () => `${'['.repeat(g.int(100, 5000))}${']'.repeat(g.int(0, 100))}`,
    () => JSON.stringify(Array.from({ length: g.int(2, 50) }, () => ({ query: '{ __typename }' }))), // batching is off
    () => `{"query":"${'\\u0000'.repeat(g.int(1, 50))}"}`,
  ])();
  const headers: Record<string, string> =
    g.rnd() < 0.2
      ? {
          'content-type': g.pick([
            'application/json; charset=latin1',
            'application/jsonx',
            'text/plain',
          ]),
        }
      : {};
  return post('invalid-json', body, headers);
}

function wrongVariableTypes(g: Gen): BadRequest {
  const cases: Array<[string, () => unknown]> = [
    [
      'query($n: Int) { projects(first: $n) { totalCount } }',
      () => ({ n: g.pick(['abc', 1.5, -5, 2 ** 40, true, [1], { a: 1 }, '10']) }),
    ],
    [
      'query($id: Int!) { project(databaseId: $id) { name } }',
      () => g.pick([{}, { id: null }, { id: 'x' }, { id: 2 ** 53 }, { id: [] }]),
    ],
    [
      'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      () => ({ ids: g.pick([5, 'x', [null], [1, {}], null]) }),
    ],
    [
      'query($u: String!) { user(username: $u) { name } }',
      () => ({ u: g.pick([123, null, { x: 1 }, ['a']]) }),
    ],
    [
      'query($f: DataFileFilter) { dataFiles(first: 2, filter: $f) { totalCount } }',
      () => ({
        f: g.pick([
          { projectId: 'a' },
          { nope: 1 },
          'x',
          { projectId: 1, dataTypeId: 2, username: 'x' },
        ]),
      }),
    ],
    [
      'query($a: String) { projects(first: 1, after: $a) { totalCount } }',
      () => ({ a: g.pick([5, true, { c: 1 }]), extra: g.chars(10) }),
    ],
    ['query { projects(first: "ten") { totalCount } }', () => undefined],
    ['query { project(databaseId: 1.5) { name } }', () => undefined],
    ['query($x: NoSuchType) { __typename }', () => ({ x: 1 })],
  ];
  const [query, vars] = g.pick(cases);
  return gql('wrong-variable-types', query, vars());
}

function badCursorsAndIds(g: Gen): BadRequest {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const cursor = g.pick([
    () => g.chars(g.int(1, 80)),
    () => b64(g.chars(g.int(1, 40))),
    () => b64(`arrayconnection:${g.pick(['-1', '1e309', 'NaN', '99999999999999999999', 'x', ''])}`),
    () => b64(`offset:${g.int(-10, 10 ** 9)}`),
    () => '',
  ])();
  const id = g.pick([
    () => g.chars(g.int(0, 60)),
    () =>
      b64(
        `${g.pick(['DataFile', 'Project', 'User', 'Member', 'DataType', 'Nope'])}:${g.pick([g.chars(8), String(g.int(-5, 10 ** 9)), ''])}`,
      ),
    () => b64(g.chars(g.int(1, 30))),
  ])();
  const [query, variables] = g.pick<[string, unknown]>([
    ['query($c: String) { dataFiles(first: 2, after: $c) { totalCount } }', { c: cursor }],
    ['query($c: String) { projects(last: 2, before: $c) { totalCount } }', { c: cursor }],
    ['query($c: String) { dataTypes(first: 2, after: $c) { edges { cursor } } }', { c: cursor }],
    ['query($id: ID!) { node(id: $id) { id } }', { id }],
    ['query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [id, id, g.chars(5)] }],
    [
      'query($n: Int!) { dataFile(databaseId: $n) { basename } }',
      { n: g.pick([-1, 0, 2 ** 31 - 1, g.int(10 ** 7, 10 ** 8)]) },
    ],
    [
      'query($u: String!) { user(username: $u) { name } }',
      { u: g.pick([g.chars(g.int(0, 200)), '../../etc/passwd', '%00', 'a/b?c=d#e']) },
    ],
    ['query($n: Int!) { dataType(databaseId: $n) { name } }', { n: g.pick([-1, 0, 2 ** 31 - 1]) }],
  ]);
  return gql('bad-cursors-and-ids', query, variables);
}

function hugePages(g: Gen): BadRequest {
  const n = g.pick([101, 1000, 10 ** 6, 2 ** 31 - 1, -1, 0]);
  const query = g.pick([
    `{ dataFiles(first: ${n}) { totalCount } }`,
    `{ projects(last: ${n}) { totalCount } }`,
    `{ dataFiles(first: 5, last: 5) { totalCount } }`,
    `{ users(first: ${n}) { edges { node { username } } } }`,
    `{ dataType(databaseId: 1) { dataFiles(first: ${n}) { totalCount } } }`,
    `{ projects(first: 100) { edges { node { dataFiles(first: 100) { edges { node { basename } } } } } } }`,
  ]);
  return gql('huge-pages', query);
}

function deepAndWide(g: Gen): BadRequest {
  const kind = g.int(0, 7);
  let query: string;
  if (kind === 0) {
    const depth = g.int(13, 400);
    query = `{ dataType(databaseId: 1) { ${'parent { '.repeat(depth)}name${' }'.repeat(depth)} } }`;
  } else if (kind === 1) {
    query = `{ ${Array.from({ length: g.int(500, 4000) }, () => '__typename').join(' ')} }`;
  } else if (kind === 2) {
    query = `{ ${Array.from({ length: g.int(21, 600) }, (_, i) => `a${i}: projects(first: 1) { totalCount }`).join(' ')} }`;
  } else if (kind === 3) {
    query = '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }';
  } else if (kind === 4) {
    query = `{ project(databaseId: 1) { name(x: "${'x'.repeat(g.int(10_000, 200_000))}") } }`;
  } else if (kind === 5) {
    query = `{ __typename ${'@include(if: true) '.repeat(g.int(21, 400))}}`;
  } else if (kind === 6) {
    query = `query A { __typename } query B { __typename } ${g.chars(g.int(0, 40))}`;
  } else {
    query = `${'{'.repeat(g.int(1, 3000))}${g.chars(g.int(0, 100))}`;
  }
  return gql('deep-and-wide', query);
}

const BOUNDARY = '----soak-boundary-2c9f6e1d';

function multipart(g: Gen): BadRequest {
  const uploadOp = {
    query:
      'mutation($input: UploadDataFileInput!) { uploadDataFile(input: $input) { __typename } }',
    variables: {
      input: {
        file: null,
        metadata: { description: 'soak', tags: ['soak'] },
        projectMemberId: g.pick(['x', '12345678', '']),
      },
    },
  };
  const part = (name: string, value: string | Buffer, filename?: string) =>
    Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n` +
          (filename ? 'Content-Type: application/octet-stream\r\n' : '') +
          '\r\n',
      ),
      Buffer.isBuffer(value) ? value : Buffer.from(value),
      Buffer.from('\r\n'),
    ]);
  const end = Buffer.from(`--${BOUNDARY}--\r\n`);
  const operations = JSON.stringify(uploadOp);
  const map = JSON.stringify({ 0: ['variables.input.file'] });
  const file = (size: number) => part('0', g.bytes(size), 'soak.bin');
  const body = g.pick([
    () => Buffer.concat([part('operations', operations), file(10), end]), // no map
    () => Buffer.concat([part('operations', operations), part('map', '{bad json'), file(10), end]),
    () =>
      Buffer.concat([
        part('operations', operations),
        part('map', JSON.stringify({ 0: ['variables.nope.x'] })),
        file(10),
        end,
      ]),
    () =>
      Buffer.concat([
        part('operations', operations),
        part('map', JSON.stringify({ 7: ['variables.input.file'] })),
        end,
      ]), // missing file
    () => Buffer.concat([part('operations', '{"query": '), part('map', map), file(10), end]),
    () => Buffer.concat([part('map', map), part('operations', operations), file(10), end]), // wrong order
    () =>
      Buffer.concat([
        part('operations', operations),
        part('map', map),
        file(g.int(5_000, 60_000)),
        end,
      ]), // over MAX_UPLOAD_BYTES
    () =>
      Buffer.concat([part('operations', operations), part('map', map), file(100)]).subarray(
        0,
        g.int(10, 400),
      ), // truncated
    () => Buffer.concat([part('operations', operations), part('map', map), file(10)]), // no closing boundary
    () => g.bytes(g.int(10, 3000)),
    () =>
      Buffer.concat([
        part('operations', JSON.stringify([uploadOp, uploadOp])),
        part('map', map),
        file(10),
        end,
      ]),
    () =>
      Buffer.concat([
        part('operations', operations),
        part('map', JSON.stringify({ 0: 'variables.input.file' })),
        file(10),
        end,
      ]),
  ])();
  const headers: Record<string, string> = {
    'content-type': g.pick([
      `multipart/form-data; boundary=${BOUNDARY}`,
      'multipart/form-data',
      `multipart/form-data; boundary=other`,
    ]),
    accept: 'application/graphql-response+json, application/json',
  };
  if (g.rnd() < 0.85) headers['graphql-preflight'] = '1';
  if (g.rnd() < 0.8) headers.authorization = `Bearer ${g.token()}`;
  return { category: 'multipart', method: 'POST', path: '/graphql', headers, body };
}

function protocol(g: Gen): BadRequest {
  const q = encodeURIComponent;
  return g.pick<() => BadRequest>([
    () => ({
      category: 'protocol',
      method: 'GET',
      path: `/graphql?query=${q('mutation { __typename }')}`,
      headers: { accept: 'application/json' },
    }),
    () => ({
      category: 'protocol',
      method: 'GET',
      path: '/graphql',
      headers: { accept: 'application/json' },
    }),
    () => ({
      category: 'protocol',
      method: 'GET',
      path: `/graphql?query=${q('{ __typename }')}&variables=${q('{bad')}`,
      headers: { accept: 'application/json' },
    }),
    () => ({
      category: 'protocol',
      method: 'GET',
      path: `/graphql?query=${q(g.chars(g.int(1, 200)))}&extensions=x`,
      headers: { accept: 'application/json' },
    }),
    () => ({
      category: 'protocol',
      method: g.pick(['PUT', 'DELETE', 'PATCH']),
      path: '/graphql',
      headers: JSON_HEADERS,
      body: '{"query":"{ __typename }"}',
    }),
    () =>
      post('protocol', '<xml/>', {
        'content-type': g.pick(['application/xml', 'text/html', 'application/octet-stream']),
      }),
    () =>
      post('protocol', 'query=%7B__typename%7D', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    () =>
      post('protocol', JSON.stringify({ query: '{ __typename }' }), {
        accept: g.pick(['text/csv', 'image/png', '*/*;q=0']),
      }),
    () => ({
      category: 'protocol',
      method: 'GET',
      path: `/${g.pick(['graphql/x', 'metrics?x=1', 'readiness/..', '%2e%2e/etc', 'subgraph'])}`,
      headers: {},
    }),
    () =>
      post('protocol', JSON.stringify({ query: '{ __typename }' }), {
        'x-request-id': g.pick([
          'a'.repeat(500),
          'bad id with spaces',
          '{"json":1}',
          '%0d%0ainjected',
        ]),
      }),
    () =>
      post(
        'protocol',
        JSON.stringify({
          query: `subscription { ${g.pick(['deauthorizations', 'nope'])} { __typename } }`,
        }),
      ),
  ])();
}

function badCredentials(g: Gen): BadRequest {
  const authorization = g.pick([
    () => `Bearer ${g.token()}`,
    () => 'Bearer',
    () => `Basic ${g.token()}`,
    () => `Bearer ${g.token()} extra`,
    () => `Bearer ${g.chars(g.int(2000, 8000), 'abcdef0123456789')}`,
    () => `bearer ${g.token()}`,
    () => g.token(),
  ])();
  const query = g.pick([
    '{ viewer { tokenKind project { name members(first: 2) { totalCount } } } }',
    '{ viewer { member { projectMemberId dataFiles(first: 2) { totalCount } } } }',
    'mutation { sendMessage(input: { subject: "s", body: "b", projectMemberIds: ["00000000"] }) { __typename } }',
    '{ projects(first: 1) { totalCount } }',
  ]);
  if (g.rnd() < 0.25) {
    // A token in the URL of a GET: it must not reach any log or error.
    return {
      category: 'bad-credentials',
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent(query.startsWith('mutation') ? '{ __typename }' : query)}&access_token=${g.token()}`,
      headers: { accept: 'application/json' },
    };
  }
  return gql('bad-credentials', query, undefined, { authorization });
}

const GENERATORS: Array<[number, (g: Gen) => BadRequest]> = [
  [3, invalidJson],
  [3, wrongVariableTypes],
  [3, badCursorsAndIds],
  [1, hugePages],
  [2, deepAndWide],
  [2, multipart],
  [2, protocol],
  [2, badCredentials],
];

/** `count` malformed requests from `seed`. */
export function generateBadRequests(seed: number, count: number, secrets: Secrets): BadRequest[] {
  const g = new Gen(prng(seed), secrets);
  const total = GENERATORS.reduce((n, [w]) => n + w, 0);
  const out: BadRequest[] = [];
  for (let i = 0; i < count; i += 1) {
    let r = g.rnd() * total;
    const gen =
      GENERATORS.find(([weight]) => {
        r -= weight;
        return r < 0;
      })?.[1] ?? invalidJson;
    out.push(gen(g));
  }
  return out;
}
