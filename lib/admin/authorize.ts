import type { Request } from 'express';
import { errorFields } from '../runtime/log.js';
import type { AdminScope } from '../model/admin-wire.js';
import type { Runtime } from '../web/runtime.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The organizations this admin request may see; set by the admin guard and the pages. */
    identityAdminScope?: AdminScope;
  }
}

/**
 * The organizations the host's authorizeAdmin lets this request administer, or null for none.
 * `true` (the old yes/no answer) is every organization. Anything that is neither a boolean nor a
 * well-formed scope, and a hook that throws, count as "no": a broken host check must never open
 * the admin pages. The HTML pages and the JSON guard (guard.ts) both decide through this.
 */
export async function adminScope(runtime: Runtime, req: Request): Promise<AdminScope | null> {
  let answer: unknown;
  try {
    answer = await runtime.options.authorizeAdmin(req);
  } catch (error) {
    runtime.logger.error('authorizeAdmin threw; treating as not authorized', { ...errorFields(error), requestId: req.identityRequestId });
    return null;
  }
  if (answer === true) return { organizations: 'all' };
  const organizations = (answer as { organizations?: unknown } | null)?.organizations;
  if (organizations === 'all') return { organizations: 'all' };
  if (Array.isArray(organizations) && organizations.length > 0 && organizations.every((o) => typeof o === 'string')) {
    return { organizations: [...organizations] };
  }
  if (answer !== false && !Array.isArray(organizations)) {
    runtime.logger.error('authorizeAdmin answered neither a boolean nor { organizations }; treating as not authorized', { requestId: req.identityRequestId });
  }
  return null;
}

/** Whether a record of this organization is inside the scope. */
export function inScope(scope: AdminScope | undefined, organizationId: string): boolean {
  if (!scope) return false;
  return scope.organizations === 'all' || scope.organizations.includes(organizationId);
}
