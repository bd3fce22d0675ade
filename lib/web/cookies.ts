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

export interface CookieScope {
  path: string;
  maxAgeMs: number;
  sameSite: 'lax' | 'strict';
}

/** Secure whenever the public origin is https, so a local http setup still works. */
const isSecure = (options: ResolvedOptions) => options.baseUrl.startsWith('https:');

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

export function clearCookie(
  res: Response,
  options: ResolvedOptions,
  name: string,
  scope: Omit<CookieScope, 'maxAgeMs'>,
): void {
  res.clearCookie(name, { httpOnly: true, secure: isSecure(options), sameSite: scope.sameSite, path: scope.path });
}
