import { errorFields } from '../log.js';
import type { NextFunction, Request, Response } from 'express';
import type { Runtime } from '../runtime.js';
import type { ScimError } from './errors.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The provisioning log: every write and every failed request becomes an audit event with its
 * outcome, written after the response so that a rolled-back transaction still leaves its error.
 */
export function auditTrail(runtime: Runtime) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => {
      const failed = res.statusCode >= 400;
      const isSearch = req.method === 'POST' && /\/\.search$/.test(req.path);
      if (!failed && (!WRITES.has(req.method) || isSearch)) return;
      const entry = res.locals.audit as { operation: string; resourceType: string; resourceId?: string } | undefined;
      const error = res.locals.scimError as ScimError | undefined;
      runtime.store.audit.record({
        connectorId: req.scim?.connector.id ?? null,
        requestId: req.identityRequestId ?? null,
        actor: req.scim ? `scim-token:${req.scim.token.displayPrefix}` : 'anonymous',
        operation: entry?.operation ?? `${req.method} ${req.path}`.slice(0, 64),
        resourceType: entry?.resourceType ?? null,
        resourceId: entry?.resourceId ?? null,
        outcome: failed ? 'failure' : 'success',
        status: res.statusCode,
        scimType: error?.scimType ?? null,
        detail: error?.detail ?? null,
      }).catch((e: unknown) => runtime.logger.error('audit write failed', { requestId: req.identityRequestId, ...errorFields(e) }));
    });
    next();
  };
}
