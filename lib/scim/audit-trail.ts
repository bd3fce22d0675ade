import type { NextFunction, Request, Response } from 'express';
import type { AuditContext } from '../policy/audit.js';
import type { Runtime } from '../web/runtime.js';
import type { ScimError } from './errors.js';

/** What a route is attempting, for the log of a refusal: set before the route can fail. */
export interface AttemptedOperation { operation: string; resourceType: string; resourceId?: string }

export function attempt(res: Response, operation: string, resourceType: string, resourceId?: string): void {
  res.locals.attempt = { operation, resourceType, resourceId } satisfies AttemptedOperation;
}

/** Who a SCIM change is audited as (the token's display prefix, never the token) and the status it answers. */
export function scimAuditContext(req: Request, status: number): AuditContext {
  return { actor: req.scim ? `scim-token:${req.scim.token.displayPrefix}` : 'anonymous', requestId: req.identityRequestId ?? null, status };
}

/**
 * The provisioning log's failures: a successful change records itself in its own transaction
 * (policy/audit.ts); every failed request is recorded here, after the response, so a rolled-back
 * transaction still leaves its error.
 */
export function auditTrail(runtime: Runtime) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => {
      // 503: the store is away, so is its log. Failed authentication is audited per window (failed-authentication.ts).
      if (res.statusCode < 400 || res.statusCode === 503 || res.locals.authenticationAggregated) return;
      const entry = res.locals.attempt as AttemptedOperation | undefined;
      const error = res.locals.scimError as ScimError | undefined;
      void runtime.audit.refusal(scimAuditContext(req, res.statusCode), {
        connectorId: req.scim?.connector.id ?? null,
        operation: entry?.operation ?? `${req.method} ${req.path}`.slice(0, 64),
        resourceType: entry?.resourceType ?? null,
        resourceId: entry?.resourceId ?? null,
        scimType: error?.scimType ?? null,
        detail: error?.detail ?? null,
      });
    });
    next();
  };
}
