import type { ErrorRequestHandler, Request, Response } from 'express';
import type { AuditContext } from '../policy/audit.js';
import type { Runtime } from '../web/runtime.js';
import { toScimError } from './error-handler.js';

/** What a route is attempting, for the log of a refusal: set before the route can fail. */
export interface AttemptedOperation {
  operation: string;
  resourceType: string;
  resourceId?: string;
}

/**
 * Names the operation a route is attempting (e.g. `user.replace` on `User` 2819c223-…) before it can fail, so that
 * a refusal's audit row (`auditFailures`) says what was refused.
 */
export function attempt(res: Response, operation: string, resourceType: string, resourceId?: string): void {
  res.locals.attempt = { operation, resourceType, resourceId } satisfies AttemptedOperation;
}

/** Who a SCIM change is audited as (the token's display prefix, never the token) and the status it answers. */
export function scimAuditContext(req: Request, status: number): AuditContext {
  return {
    actor: req.scim ? `scim-token:${req.scim.token.displayPrefix}` : 'anonymous',
    requestId: req.identityRequestId ?? null,
    status,
  };
}

/**
 * The provisioning log's failures: a successful change records itself in its own transaction
 * (policy/audit.ts); a failed request is recorded here, after its transaction rolled back and
 * before the error is answered, so a client that reads the log after the answer finds it.
 * Not recorded: 503 (the store is away, and its log with it) and failed authentication, which
 * failed-authentication.ts audits per window.
 */
export function auditFailures(runtime: Runtime): ErrorRequestHandler {
  return (error, req, res, next) => {
    const failure = toScimError(error);
    if (res.headersSent || failure.status === 503 || res.locals.authenticationAggregated) return next(error);
    const entry = res.locals.attempt as AttemptedOperation | undefined;
    runtime.audit
      .refusal(scimAuditContext(req, failure.status), {
        connectorId: req.scim?.connector.id ?? null,
        operation: entry?.operation ?? `${req.method} ${req.path}`.slice(0, 64),
        resourceType: entry?.resourceType ?? null,
        resourceId: entry?.resourceId ?? null,
        scimType: failure.scimType ?? null,
        detail: failure.detail,
      })
      .then(() => next(error), next);
  };
}
