import type { Request, Response, Router } from 'express';
import { entraBulkCreateCsv } from '../model/entra-bulk-csv.js';
import type { StoredUser } from '../model/types.js';
import { usersEntraLacks } from '../policy/entra-candidates.js';
import type { Runtime } from '../web/runtime.js';
import { asyncRoute } from '../web/http.js';
import { sendJsonError } from './guard.js';
import { inScope } from './authorize.js';
import { connectorRoute } from './requests.js';

function sendCsv(res: Response, name: string, users: StoredUser[]): void {
  res
    .status(200)
    .type('text/csv; charset=utf-8')
    .set('Content-Disposition', `attachment; filename="${name}"`)
    .send(entraBulkCreateCsv(users));
}

/**
 *   GET /api/connectors/:id/entra-bulk-create.csv          a connector's users
 *   GET /api/organizations/:org/entra-bulk-create.csv      every connector of an organization
 * The file holds one-time initial passwords: it is answered to admins only (the API guard) and never stored.
 */
export function registerEntraExportRoutes(api: Router, runtime: Runtime): void {
  api.get(
    '/connectors/:id/entra-bulk-create.csv',
    connectorRoute(runtime, async (_req, res, connector) => {
      sendCsv(
        res,
        `entra-bulk-create-${connector.name}.csv`.replace(/[^\w.-]+/g, '-'),
        await usersEntraLacks(runtime.store, [connector]),
      );
    }),
  );
  api.get(
    '/organizations/:org/entra-bulk-create.csv',
    asyncRoute(async (req: Request, res: Response) => {
      // Another organization is answered exactly like one without connectors.
      const org = String(req.params.org);
      const connectors = inScope(req.identityAdminScope, org)
        ? await runtime.store.connectors.list({ organizationId: org })
        : [];
      if (!connectors.length) return sendJsonError(res, 404, 'not_found', `organization ${org} has no connectors`);
      sendCsv(
        res,
        `entra-bulk-create-${org}.csv`.replace(/[^\w.-]+/g, '-'),
        await usersEntraLacks(runtime.store, connectors),
      );
    }),
  );
}
