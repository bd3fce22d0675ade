import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { invalidSyntax } from './errors.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const MAX_JSON_DEPTH = 32;

/** JSON bodies sent as application/json or application/scim+json, size-limited, depth-limited. */
export function scimBodyParser(limitBytes: number): RequestHandler[] {
  const parse = express.json({ limit: limitBytes, type: ['application/json', 'application/scim+json', 'application/*+json'], strict: false });
  const depth = (req: Request, _res: Response, next: NextFunction) => {
    if (req.body !== undefined && depthOf(req.body, 0) > MAX_JSON_DEPTH) return next(invalidSyntax(`request body nests deeper than ${MAX_JSON_DEPTH} levels`));
    next();
  };
  return [parse as RequestHandler, depth];
}

function depthOf(value: unknown, level: number): number {
  if (level > MAX_JSON_DEPTH || value === null || typeof value !== 'object') return level;
  let max = level;
  for (const child of Object.values(value as object)) {
    max = Math.max(max, depthOf(child, level + 1));
    if (max > MAX_JSON_DEPTH) break;
  }
  return max;
}

export function sendScim(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body === undefined) {
    res.status(status).end();
    return;
  }
  // Serialised once and written as is: res.send would hash the body again for an ETag of its own.
  res.status(status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.end(JSON.stringify(body));
}

export const etagOf = (version: number): string => `W/"${version}"`;

/** The version an If-Match header asks for; `*` and absent mean "any". Unparseable → -1 (never matches). */
export function ifMatchVersion(req: Request): number | undefined {
  const header = req.get('if-match');
  if (!header || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header.split(',')[0]);
  return match ? Number(match[1]) : -1;
}

export function notModified(req: Request, version: number): boolean {
  const header = req.get('if-none-match');
  return Boolean(header) && header!.split(',').some((tag) => tag.trim() === etagOf(version) || tag.trim() === `"${version}"`);
}
