import type { Request } from 'express';
import { errorFields } from '../runtime/log.js';
import type { Runtime } from '../web/runtime.js';

/**
 * Whether the host's authorizeAdmin accepts this request. A hook that throws counts as "no":
 * a broken host check must never open the admin pages. The HTML pages use this directly; the
 * JSON guard (guard.ts requireAdmin) makes the same decision with a JSON refusal.
 */
export async function isAdmin(runtime: Runtime, req: Request): Promise<boolean> {
  try {
    return (await runtime.options.authorizeAdmin(req)) === true;
  } catch (error) {
    runtime.logger.error('authorizeAdmin threw; treating as not authorized', { ...errorFields(error), requestId: req.identityRequestId });
    return false;
  }
}
