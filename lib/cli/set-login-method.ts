import type { IdentityStore } from '../store/index.js';
import type { LoginMethod, StoredUser } from '../store/types.js';

/**
 * `user set-login-method`: the way back in when a user cannot sign in with the method they have
 * (e.g. SSO misconfigured: set `builtin`). The user is given by id or userName; the change goes
 * to the provisioning log with actor `cli`, as the admin page's toggle does with `admin`.
 */
export async function setLoginMethod(store: IdentityStore, connectorId: string, userRef: string, method: LoginMethod): Promise<{ user: StoredUser; from: LoginMethod }> {
  const connector = await store.connectors.require(connectorId);
  const user = (await store.users.get(connectorId, userRef)) ?? (await store.users.findByUserName(connectorId, userRef));
  if (!user) throw new Error(`no user with id or userName ${JSON.stringify(userRef)} in connector ${connectorId}`);
  const audit = (outcome: 'success' | 'failure', detail: Record<string, unknown>) => store.audit.record({
    connectorId, requestId: null, actor: 'cli', operation: 'user.login-method',
    resourceType: 'User', resourceId: user.id, outcome, status: null, scimType: null, detail: JSON.stringify(detail),
  });
  // Switching someone to SSO on a connector without it would lock them out.
  if (method === 'sso' && !(connector.oidc.issuer && connector.oidc.clientId)) {
    await audit('failure', { from: user.loginMethod, to: method, reason: 'sso_not_configured' });
    throw new Error(`connector ${connectorId} has no OpenID Connect settings, so ${user.userName} could not sign in with sso: run \`connector set-oidc\` first`);
  }
  const from = user.loginMethod;
  const updated = from === method ? user : await store.users.updateAccess(connectorId, user.id, { loginMethod: method });
  await audit('success', { from, to: method });
  return { user: updated, from };
}
