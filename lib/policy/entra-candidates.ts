import type { Filter } from '../model/filter.js';
import { USER_REGISTRY } from '../model/schemas/registry.js';
import type { Connector, StoredUser } from '../model/types.js';
import type { IdentityStore } from '../store/index.js';

/** Users read per page while collecting candidates. */
const PAGE = 500;

/** `not (externalId pr)`: users no Entra object is linked to — the ones that exist only on the platform. */
const NOT_FROM_ENTRA: Filter = {
  kind: 'not',
  filter: { kind: 'present', path: { raw: 'externalId', resolved: USER_REGISTRY.resolve('externalId') } },
};

/** Why a user is not one Entra lacks: an Entra object is linked already, or it is the platform's own (protected). */
export type EntraSkipReason = 'already-linked' | 'protected';

/**
 * The one decision "does Entra lack this user?", shared by the bulk-create CSV export and the
 * Graph push: a user with an Entra object (externalId) would only collide with itself, and a
 * protected user (an Organization Owner, a service account) stays the platform's own.
 */
export function entraSkipReason(user: Pick<StoredUser, 'externalId' | 'protected'>): EntraSkipReason | undefined {
  if (user.externalId !== null) return 'already-linked';
  return user.protected ? 'protected' : undefined;
}

/** Every user of these connectors that Entra lacks (see entraSkipReason), paged in SQL, oldest first. */
export async function usersEntraLacks(store: IdentityStore, connectors: Connector[]): Promise<StoredUser[]> {
  const users: StoredUser[] = [];
  for (const connector of connectors) {
    let cursor: string | null | undefined = null;
    do {
      const page = await store.users.list(connector.id, { filter: NOT_FROM_ENTRA, cursor, count: PAGE });
      users.push(...page.items.filter((user) => entraSkipReason(user) === undefined));
      cursor = page.nextCursor;
    } while (cursor);
  }
  return users;
}
