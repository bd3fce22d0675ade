import type { Request } from 'express';
import type { Runtime } from '../runtime.js';

export interface AdminAction {
  connectorId: string;
  operation: string;
  resourceType: string;
  resourceId: string;
  outcome: 'success' | 'failure';
  status: number;
  /** What changed. Never a token or a secret: the provisioning log is shown on the admin page. */
  detail?: Record<string, unknown>;
}

/**
 * Writes an admin change to the provisioning log with actor `admin`, the request id and which
 * admin did it (`by`, when the host tells us through currentUser), like the login-method route.
 */
export async function recordAdminAction(runtime: Runtime, req: Request, action: AdminAction): Promise<void> {
  const { options, store } = runtime;
  const admin = options.currentUser ? await options.currentUser(req) : undefined;
  await store.audit.record({
    connectorId: action.connectorId,
    requestId: req.identityRequestId ?? null,
    actor: 'admin',
    operation: action.operation,
    resourceType: action.resourceType,
    resourceId: action.resourceId,
    outcome: action.outcome,
    status: action.status,
    scimType: null,
    detail: JSON.stringify({ ...action.detail, by: admin?.userId ?? null }),
  });
}
