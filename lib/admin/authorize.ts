import type { Request } from 'express';
import { errorFields } from '../runtime/log.js';
import type { AdminScope } from '../model/admin-wire.js';
import type { Runtime } from '../web/runtime.js';
import type { AdminAuthorization } from '../runtime/options.js';
import { currentUser } from '../web/signed-in.js';

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
    runtime.logger.error('authorizeAdmin threw; treating as not authorized', {
      ...errorFields(error),
      requestId: req.identityRequestId,
    });
    return null;
  }
  if (answer === true) return { organizations: 'all' };
  const { organizations, manages } = (answer ?? {}) as { organizations?: unknown; manages?: unknown };
  // Anything but an explicit 'all' narrows to users: an unreadable answer never widens access.
  const level = manages === undefined || manages === 'all' ? {} : { manages: 'users' as const };
  if (organizations === 'all') return { organizations: 'all', ...level };
  if (Array.isArray(organizations) && organizations.length > 0 && organizations.every((o) => typeof o === 'string')) {
    return { organizations: [...organizations], ...level };
  }
  if (answer !== false && !Array.isArray(organizations)) {
    runtime.logger.error(
      'authorizeAdmin answered neither a boolean nor { organizations }; treating as not authorized',
      { requestId: req.identityRequestId },
    );
  }
  return null;
}

/** Whether a record of this organization is inside the scope. */
export function inScope(scope: AdminScope | undefined, organizationId: string): boolean {
  if (!scope) return false;
  return scope.organizations === 'all' || scope.organizations.includes(organizationId);
}

/**
 * authorizeAdmin from the signed-in user's web role (Entra's app roles, through the role map):
 * EnterpriseAdmin administers everything of their own organization (connectors, OIDC, tokens,
 * users, the log); Admin their organization's users, login methods and log; anyone else
 * nothing. The connector's default when the host passes no authorizeAdmin; a host with platform
 * staff of its own answers `{ organizations: 'all' }` for them and calls this for everyone else.
 */
export function adminFromWebRole(runtime: Runtime): (req: Request) => Promise<AdminAuthorization> {
  return async (req) => {
    const user = await currentUser(runtime.store, runtime.options, req);
    if (user?.webRole === 'EnterpriseAdmin') return { organizations: [user.organizationId] };
    if (user?.webRole === 'Admin') return { organizations: [user.organizationId], manages: 'users' };
    return false;
  };
}

/** What a users-only admin (scope.manages 'users') may do besides reading: switch login methods. */
const USERS_ADMIN_WRITES = [/^\/users\/[^/]+\/login-method$/, /^\/connectors\/[^/]+\/login-method$/];
/** What they may not even read: the connector's SCIM tokens and bulk exports of the organization. */
const USERS_ADMIN_HIDDEN = [/\/tokens(\/|$)/, /entra-bulk-create\.csv$/, /\/entra-push$/];

/** Whether this scope may make this admin API request (path relative to /admin/api). */
export function scopeAllows(scope: AdminScope, method: string, path: string): boolean {
  if (scope.manages !== 'users') return true;
  if (USERS_ADMIN_HIDDEN.some((pattern) => pattern.test(path))) return false;
  if (method === 'GET' || method === 'HEAD') return true;
  return USERS_ADMIN_WRITES.some((pattern) => pattern.test(path));
}
