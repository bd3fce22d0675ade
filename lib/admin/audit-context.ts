import type { Request } from 'express';
import type { AuditContext } from '../policy/audit.js';
import type { Runtime } from '../web/runtime.js';

/**
 * Who an admin change is audited as: actor `admin`, `by` the admin's user id when the host tells
 * us through currentUser; with the request id and the status the route answers with.
 */
export async function adminContext(runtime: Runtime, req: Request, status: number): Promise<AuditContext> {
  const admin = runtime.options.currentUser ? await runtime.options.currentUser(req) : undefined;
  return { actor: 'admin', by: admin?.userId ?? null, requestId: req.identityRequestId ?? null, status };
}
