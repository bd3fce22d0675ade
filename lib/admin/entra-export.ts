import type { Request, Response, Router } from 'express';
import { entraBulkCreateCsv } from '../model/entra-bulk-csv.js';
import type { Filter } from '../model/filter.js';
import { USER_REGISTRY } from '../model/schemas/registry.js';
import type { Connector, StoredUser } from '../model/types.js';
import type { IdentityStore } from '../store/index.js';
import type { Runtime } from '../web/runtime.js';
import { asyncRoute } from '../web/http.js';
import { sendJsonError } from './guard.js';
import { inScope } from './authorize.js';
import { connectorRoute } from './requests.js';

const PAGE = 500;

/** `not (externalId pr)`: users Entra does not provision — the ones that exist only on the platform. */
const NOT_FROM_ENTRA: Filter = { kind: 'not', filter: { kind: 'present', path: { raw: 'externalId', resolved: USER_REGISTRY.resolve('externalId') } } };

/**
 * The modelled platform: "users can be imported from our platform into Entra". The users of
 * these connectors that no Entra object is linked to (no externalId), paged in SQL; users Entra
 * already provisions would only collide with themselves in a bulk create.
 */
export async function usersToImportIntoEntra(store: IdentityStore, connectors: Connector[]): Promise<StoredUser[]> {
  const users: StoredUser[] = [];
  for (const connector of connectors) {
    let cursor: string | null | undefined = null;
    do {
      const page = await store.users.list(connector.id, { filter: NOT_FROM_ENTRA, cursor, count: PAGE });
      users.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
  }
  return users;
}

function sendCsv(res: Response, name: string, users: StoredUser[]): void {
  res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${name}"`).send(entraBulkCreateCsv(users));
}

/**
 *   GET /api/connectors/:id/entra-bulk-create.csv          a connector's users
 *   GET /api/organizations/:org/entra-bulk-create.csv      every connector of an organization
 * The file holds one-time initial passwords: it is answered to admins only (the API guard) and never stored.
 */
export function registerEntraExportRoutes(api: Router, runtime: Runtime): void {
  api.get('/connectors/:id/entra-bulk-create.csv', connectorRoute(runtime, async (_req, res, connector) => {
    sendCsv(res, `entra-bulk-create-${connector.name}.csv`.replace(/[^\w.-]+/g, '-'), await usersToImportIntoEntra(runtime.store, [connector]));
  }));
  api.get('/organizations/:org/entra-bulk-create.csv', asyncRoute(async (req: Request, res: Response) => {
    // Another organization is answered exactly like one without connectors.
    const org = String(req.params.org);
    const connectors = inScope(req.identityAdminScope, org) ? await runtime.store.connectors.list({ organizationId: org }) : [];
    if (!connectors.length) return sendJsonError(res, 404, 'not_found', `organization ${org} has no connectors`);
    sendCsv(res, `entra-bulk-create-${org}.csv`.replace(/[^\w.-]+/g, '-'), await usersToImportIntoEntra(runtime.store, connectors));
  }));
}
