import { usersEntraLacks } from '../policy/entra-candidates.js';
import { entraBulkCreateCsv } from '../model/entra-bulk-csv.js';
import type { IdentityStore } from '../store/index.js';

/** `users export-entra`: the same file as the admin API's, for a connector or a whole organization. */
export async function exportEntraCsv(
  store: IdentityStore,
  scope: { connectorId: string } | { organizationId: string },
): Promise<{ csv: string; count: number }> {
  const connectors =
    'connectorId' in scope
      ? [await store.connectors.require(scope.connectorId)]
      : await store.connectors.list({ organizationId: scope.organizationId });
  const users = await usersEntraLacks(store, connectors);
  return { csv: entraBulkCreateCsv(users), count: users.length };
}
