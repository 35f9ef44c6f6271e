/**
 * Inputs of the cases, read from the sandbox through its public API before any measurement
 * (the call counters are reset afterwards).
 */
import type { Fixtures } from './cases.js';
import { send } from './load.js';

const globalId = (type: string, key: string | number): string =>
  Buffer.from(`${type}:${key}`).toString('base64');

/** The pagination helper's cursor format (base64 of `offset:<n>`), so one cursor serves all. */
export const cursorFor = (offset: number): string =>
  Buffer.from(`offset:${offset}`).toString('base64');

async function list<T>(sandboxUrl: string, path: string, query: string): Promise<T[]> {
  const url = new URL(`${sandboxUrl}${path}?${query}`);
  const res = await send(url.origin, {
    path: url.pathname + url.search,
    method: 'GET',
    headers: {},
  });
  if (res.status !== 200) throw new Error(`fixtures: ${path} answered HTTP ${res.status}`);
  return (JSON.parse(res.body) as { results: T[] }).results;
}

export async function loadFixtures(sandboxUrl: string, masterToken: string): Promise<Fixtures> {
  const [files, users, projects, types] = await Promise.all([
    list<{ id: number }>(sandboxUrl, '/api/public/datafiles/', 'limit=25&offset=1000'),
    list<{ username: string }>(sandboxUrl, '/api/public/members/', 'limit=25&offset=10'),
    list<{ id: number }>(sandboxUrl, '/api/public/projects/', 'limit=25'),
    list<{ id: number }>(sandboxUrl, '/api/public/datatypes/', 'limit=25'),
  ]);
  const groups = [
    files.map((f) => globalId('DataFile', f.id)),
    users.map((u) => globalId('User', u.username)),
    projects.map((p) => globalId('Project', p.id)),
    types.map((t) => globalId('DataType', t.id)),
  ];
  const nodeIds: string[] = [];
  for (let i = 0; i < 25; i += 1) {
    for (const group of groups) {
      const id = group[i];
      if (id !== undefined) nodeIds.push(id);
    }
  }
  return { masterToken, afterCursor: cursorFor(4_999), nodeIds };
}
