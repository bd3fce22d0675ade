import type { LoginMethod, StoredUser } from '../model/types.js';
import type { Policies } from '../policy/policies.js';
import type { IdentityStore } from '../store/index.js';
import { CLI_ACTOR } from './cli-policies.js';

/**
 * `user set-login-method`: the way back in when a user cannot sign in with the method they have
 * (e.g. SSO misconfigured: set `builtin`). The user is given by id or userName; the switch takes
 * the one login-method path (policy/login-method.ts: the same "may they switch to SSO?" decision
 * as the admin page) and goes to the provisioning log with actor `cli`. `force` switches to SSO
 * before any sign-in through Entra has completed; its audit row says so.
 */
export async function setLoginMethod(
  store: IdentityStore,
  policies: Pick<Policies, 'loginMethods'>,
  connectorId: string,
  userRef: string,
  method: LoginMethod,
  force = false,
): Promise<{ user: StoredUser; from: LoginMethod }> {
  const connector = await store.connectors.require(connectorId);
  const user =
    (await store.users.get(connectorId, userRef)) ?? (await store.users.findByUserName(connectorId, userRef));
  if (!user) throw new Error(`no user with id or userName ${JSON.stringify(userRef)} in connector ${connectorId}`);
  return policies.loginMethods.set(connector, user, method, CLI_ACTOR, { force });
}
