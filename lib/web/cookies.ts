import type { Request, Response } from 'express';
import type { ResolvedOptions } from '../runtime/options.js';

/**
 * Reads and writes the connector's own cookies without cookie-parser: the host may or may not
 * use it, and `req.cookies` would then be its concern, not ours.
 */
export function readCookies(req: Request): Map<string, string> {
  const out = new Map<string, string>();
  const header = req.headers.cookie;
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    // The first occurrence wins, as in browsers' ordering (most specific path first).
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        out.set(name, value);
      }
    }
  }
  return out;
}

/** Where one of the connector's cookies applies and for how long. */
export interface CookieScope {
  /** The cookie's Path: the narrowest route that reads it. */
  path: string;
  /** Its lifetime in milliseconds. */
  maxAgeMs: number;
  /** Its SameSite: `lax` for cookies the identity provider's redirect back must carry, `strict` otherwise. */
  sameSite: 'lax' | 'strict';
}

/** Secure whenever the public origin is https, so a local http setup still works. */
const isSecure = (options: ResolvedOptions) => options.baseUrl.startsWith('https:');

/**
 * Sets one of the connector's cookies: HttpOnly, Secure whenever `baseUrl` is https, with the scope's path,
 * lifetime and SameSite.
 */
export function setCookie(
  res: Response,
  options: ResolvedOptions,
  name: string,
  value: string,
  scope: CookieScope,
): void {
  res.cookie(name, value, {
    httpOnly: true,
    secure: isSecure(options),
    sameSite: scope.sameSite,
    path: scope.path,
    maxAge: scope.maxAgeMs,
  });
}

/** Clears a cookie set with {@link setCookie}; the path and SameSite must be the ones it was set with. */
export function clearCookie(
  res: Response,
  options: ResolvedOptions,
  name: string,
  scope: Omit<CookieScope, 'maxAgeMs'>,
): void {
  res.clearCookie(name, { httpOnly: true, secure: isSecure(options), sameSite: scope.sameSite, path: scope.path });
}
