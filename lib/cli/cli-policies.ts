import type { AuditContext } from '../policy/audit.js';
import { createPolicies, type Policies } from '../policy/policies.js';
import { defaultLogger } from '../runtime/log.js';
import type { IdentityStore } from '../store/index.js';

/** Who the CLI's changes are audited as. */
export const CLI_ACTOR: AuditContext = { actor: 'cli' };

/**
 * The policy modules of a CLI command: every write they make is audited as `cli`, exactly as the
 * admin API's are as `admin`. Needs no secret key (OIDC settings do: see cli-runtime.ts).
 */
export function cliPolicies(store: IdentityStore): Policies {
  return createPolicies(store, defaultLogger());
}
