import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { principal } from '../auth/bearer.js';
import { ScimError } from './errors.js';

interface Window { hits: number; resetAt: number }

/**
 * Per-token request budget: a fixed one-minute window per token, counted in a Map (one lookup
 * and one increment a request, synchronous). Answers the IETF draft-7 `RateLimit` and
 * `RateLimit-Policy` headers and, past the limit, 429 with `Retry-After` and a SCIM error body.
 * Windows that have ended are swept once a window, so memory stays bounded by the tokens used
 * in the last minute. A 503 (the database was away) is not the client's doing: it gives its
 * request back.
 */
export function tokenRateLimit(limit: number, windowMs = 60_000): RequestHandler {
  const windows = new Map<string, Window>();
  const windowSeconds = Math.ceil(windowMs / 1000);
  const policy = `${limit};w=${windowSeconds}`;
  let sweepAt = Date.now() + windowMs;
  return (req: Request, res: Response, next: NextFunction) => {
    const now = Date.now();
    if (now >= sweepAt) {
      for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key);
      sweepAt = now + windowMs;
    }
    const key = principal(req).token.id;
    let w = windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { hits: 0, resetAt: now + windowMs };
      windows.set(key, w);
    }
    w.hits += 1;
    const counted = w;
    res.once('finish', () => { if (res.statusCode === 503) counted.hits -= 1; });
    const reset = Math.max(0, Math.ceil((w.resetAt - now) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `limit=${limit}, remaining=${Math.max(0, limit - w.hits)}, reset=${reset}`);
    if (w.hits <= limit) return next();
    res.setHeader('Retry-After', String(reset));
    next(new ScimError(429, `more than ${limit} requests a minute for this token; retry after the Retry-After delay`));
  };
}
