// Shared helpers for the sandbox contract tests (not a test file itself).
import { request as httpRequest } from 'node:http';
import type { SandboxSizes } from '../../sandbox/index.js';

/** Small but complete data: fast to generate, every kind of row still present. */
export const SMALL: Partial<SandboxSizes> = {
  projects: 8,
  unapprovedProjects: 3,
  dataTypes: 25,
  users: 90,
  publicFiles: 700,
  members: 45,
  secondProjectMembers: 5,
};

export const ORG = 'https://www.openhumans.org';

export interface Got {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function get(url: string, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Body as a JSON object (throws when it is not one). */
export function obj(got: Got): Record<string, unknown> {
  if (typeof got.json !== 'object' || got.json === null)
    throw new Error(`not a JSON object: ${got.status} ${got.text.slice(0, 200)}`);
  return got.json as Record<string, unknown>;
}

export interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: Array<Record<string, unknown>>;
}

export async function page(url: string, init: RequestInit = {}): Promise<Page> {
  const got = await get(url, init);
  if (got.status !== 200) throw new Error(`GET ${url} → ${got.status}: ${got.text.slice(0, 200)}`);
  return got.json as Page;
}

/** A GET with a custom Host header (fetch forbids setting Host). */
export function getWithHeaders(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Rebase a www.openhumans.org link onto the sandbox. */
export function onSandbox(link: string, sandboxUrl: string): string {
  return link.replace(ORG, sandboxUrl);
}
