import type { LoginMethod, StoredUser } from '../model/types.js';
import { AuditWriter } from '../policy/audit.js';
import { hasOidc } from '../policy/sso-readiness.js';
import { UserWrites } from '../policy/user-writes.js';
import { defaultLogger } from '../runtime/log.js';
import type { IdentityStore } from '../store/index.js';

/**
 * `user set-login-method`: the way back in when a user cannot sign in with the method they have
 * (e.g. SSO misconfigured: set `builtin`). The user is given by id or userName; the change takes
 * the user-write path and goes to the provisioning log with actor `cli`, as the admin page's
 * toggle does with `admin`.
 */
export async function setLoginMethod(store: IdentityStore, connectorId: string, userRef: string, method: LoginMethod): Promise<{ user: StoredUser; from: LoginMethod }> {
  const connector = await store.connectors.require(connectorId);
  const user = (await store.users.get(connectorId, userRef)) ?? (await store.users.findByUserName(connectorId, userRef));
  if (!user) throw new Error(`no user with id or userName ${JSON.stringify(userRef)} in connector ${connectorId}`);
  const logger = defaultLogger();
  const audit = new AuditWriter(store, logger);
  const context = { actor: 'cli' };
  // Switching someone to SSO on a connector without it would lock them out.
  if (method === 'sso' && !hasOidc(connector)) {
    await audit.refusal(context, { connectorId, operation: 'user.login-method', resourceType: 'User', resourceId: user.id, detail: { loginMethod: { from: user.loginMethod, to: method }, reason: 'sso_not_configured' } });
    throw new Error(`connector ${connectorId} has no OpenID Connect settings, so ${user.userName} could not sign in with sso: run \`connector set-oidc\` first`);
  }
  const from = user.loginMethod;
  const updated = from === method ? user : await new UserWrites(audit, logger).setAccess(connector, user.id, { loginMethod: method }, context, 'user.login-method');
  return { user: updated, from };
}
