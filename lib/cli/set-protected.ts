import type { StoredUser } from '../model/types.js';
import type { Policies } from '../policy/policies.js';
import type { IdentityStore } from '../store/index.js';
import { CLI_ACTOR } from './cli-policies.js';

/**
 * `user protect` / `user unprotect`: marks a user protected (Systam's Organization Owners, whose
 * updates and deletes through SCIM answer 403) or unmarks them. The user is given by id or
 * userName; the change takes the user-write path and goes to the provisioning log with actor
 * `cli` (operation `user.protection`), as the admin page's button does with `admin`.
 */
export async function setProtected(
  store: IdentityStore,
  policies: Pick<Policies, 'users'>,
  connectorId: string,
  userRef: string,
  value: boolean,
): Promise<{ user: StoredUser; from: boolean }> {
  const connector = await store.connectors.require(connectorId);
  const user =
    (await store.users.get(connectorId, userRef)) ?? (await store.users.findByUserName(connectorId, userRef));
  if (!user) throw new Error(`no user with id or userName ${JSON.stringify(userRef)} in connector ${connectorId}`);
  const from = user.protected;
  const updated =
    from === value
      ? user
      : await policies.users.setAccess(connector, user.id, { protected: value }, CLI_ACTOR, 'user.protection');
  return { user: updated, from };
}
