import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Sealed values (the sign-in cookie, session records): AES-256-GCM under a key derived from the
 * client secret (HKDF, its own `info` per purpose), so whoever holds them (a browser, Redis) can
 * neither read nor alter them. Format
 * `v1.<iv>.<ciphertext>.<tag>` (base64url). Anything that does not open is treated as absent.
 */
export interface CookieSealer {
  seal(value: unknown): string;
  open(sealed: string | undefined): unknown;
}

export function createCookieSealer(clientSecret: string, purpose: string): CookieSealer {
  const key = Buffer.from(
    hkdfSync('sha256', clientSecret, 'openhumans-graphql', `cookie ${purpose} v1`, 32),
  );
  return {
    seal(value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return ['v1', iv, data, cipher.getAuthTag()]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, data, tag, ...rest] = (sealed ?? '').split('.');
      if (version !== 'v1' || !iv || !data || !tag || rest.length > 0) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plain = Buffer.concat([
          decipher.update(Buffer.from(data, 'base64url')),
          decipher.final(),
        ]);
        return JSON.parse(plain.toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
  };
}

/** Every value of the cookies named `name` in a `Cookie` header (two = suspect: cookie tossing). */
export function readCookies(header: string | null, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

export interface CookieOptions {
  path: string;
  maxAgeSeconds: number;
  secure: boolean;
}

/**
 * HttpOnly (page scripts never see it) and SameSite=Lax (kept on the redirect back from Open
 * Humans).
 */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

export const clearCookie = (name: string, path: string, secure: boolean): string =>
  setCookie(name, '', { path, maxAgeSeconds: 0, secure });

export const hashOf = (text: string): string =>
  createHash('sha256').update(text).digest('base64url');
