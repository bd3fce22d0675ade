import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { asyncRoute } from '../web/http.js';
import { MAX_OBJECT_KEYS } from '../model/limits.js';
import { badRequest, invalidSyntax, ScimError } from './errors.js';

/** The media type of every SCIM answer (RFC 7644 §8.1), with its charset. */
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const MAX_JSON_DEPTH = 32;

const JSON_TYPES = ['application/json', 'application/scim+json', 'application/*+json'];

/**
 * JSON bodies sent as application/json or application/scim+json, size-limited, depth-limited.
 * Any other body is refused, even one the host's own parsers already read: a form-encoded
 * `PUT /Groups/{id}` must not become an empty group.
 */
export function scimBodyParser(limitBytes: number): RequestHandler[] {
  const jsonOnly = (req: Request, _res: Response, next: NextFunction) => {
    // req.is: null without a body, false for a body of another type.
    if (req.is(JSON_TYPES) === false)
      return next(new ScimError(415, 'request bodies must be JSON (Content-Type: application/scim+json)'));
    next();
  };
  const parse = express.json({ limit: limitBytes, type: JSON_TYPES, strict: false });
  const shape = (req: Request, _res: Response, next: NextFunction) => {
    const refusal = req.body === undefined ? undefined : shapeRefusal(req.body, 0);
    next(refusal);
  };
  return [jsonOnly, parse as RequestHandler, shape];
}

/**
 * Refuses, before any route reads it, a body nested deeper than MAX_JSON_DEPTH or holding an
 * object of more than MAX_OBJECT_KEYS keys. Keys are counted with for…in and an early stop:
 * listing all keys of a 75,000-key object alone costs tens of ms.
 */
function shapeRefusal(value: unknown, level: number): ScimError | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (level >= MAX_JSON_DEPTH) return invalidSyntax(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (const item of value) {
      const refusal = shapeRefusal(item, level + 1);
      if (refusal) return refusal;
    }
    return undefined;
  }
  let keys = 0;
  for (const key in value) {
    if (++keys > MAX_OBJECT_KEYS)
      return badRequest('tooMany', `an object in the request body has more than ${MAX_OBJECT_KEYS} attributes`);
    const refusal = shapeRefusal((value as Record<string, unknown>)[key], level + 1);
    if (refusal) return refusal;
  }
  return undefined;
}

/**
 * Sends a SCIM answer as `application/scim+json` (no body for 204); does nothing once the database deadline has
 * answered the request with a 503.
 */
export function sendScim(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  // Already answered 503 by the database deadline (router.ts).
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body === undefined) {
    res.status(status).end();
    return;
  }
  // Serialised once and written as is: res.send would hash the body again for an ETag of its own.
  res.status(status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.end(JSON.stringify(body));
}

/** The weak ETag of a resource version (RFC 7644 §3.14, RFC 9110 §8.8.3): `W/"<version>"`. */
export const etagOf = (version: number): string => `W/"${version}"`;

/** The version an If-Match header asks for; `*` and absent mean "any". Unparseable → -1 (never matches). */
export function ifMatchVersion(req: Request): number | undefined {
  const header = req.get('if-match');
  if (!header || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header.split(',')[0]);
  return match ? Number(match[1]) : -1;
}

/** Whether `If-None-Match` names the resource's current version (weak or strong form), so a GET answers 304. */
export function notModified(req: Request, version: number): boolean {
  const header = req.get('if-none-match');
  return (
    Boolean(header) && header!.split(',').some((tag) => tag.trim() === etagOf(version) || tag.trim() === `"${version}"`)
  );
}

/** What one SCIM resource type (Users, Groups) answers; `list` reads its parameters from `source`. */
export interface ResourceHandlers {
  list: (req: Request, res: Response, source: Record<string, unknown>) => Promise<void>;
  create: ResourceHandler;
  read: ResourceHandler;
  replace: ResourceHandler;
  patch: ResourceHandler;
  remove: ResourceHandler;
}

/** One endpoint of a resource type; a rejection goes to next() through asyncRoute. */
export type ResourceHandler = (req: Request, res: Response) => Promise<void>;

/**
 * The endpoints of one resource type as RFC 7644 §3 lays them out, once for every type: list
 * by query or by `POST /.search` (§3.4.3), create, and read, replace, patch and delete by id.
 */
export function resourceRoutes(router: Router, h: ResourceHandlers): Router {
  router.get(
    '/',
    asyncRoute((req, res) => h.list(req, res, req.query as Record<string, unknown>)),
  );
  router.post(
    '/.search',
    asyncRoute((req, res) => h.list(req, res, (req.body ?? {}) as Record<string, unknown>)),
  );
  router.post('/', asyncRoute(h.create));
  router.get('/:id', asyncRoute(h.read));
  router.put('/:id', asyncRoute(h.replace));
  router.patch('/:id', asyncRoute(h.patch));
  router.delete('/:id', asyncRoute(h.remove));
  return router;
}
