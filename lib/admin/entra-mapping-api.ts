import type { Router } from 'express';
import { entraMappingSheet, mappingSheetText } from '../model/entra-mapping-sheet.js';
import type { Runtime } from '../web/runtime.js';
import { connectorRoute } from './requests.js';

/**
 * The Entra mapping sheet of a connector (model/entra-mapping-sheet.ts): the exact target
 * attribute names Entra's mapping editor needs, generated from the connector's schemas.
 *
 *   GET /api/connectors/:id/entra-mapping        { "rows": [{ target, type, multiValued, custom, required, source, notes }] }
 *   GET /api/connectors/:id/entra-mapping.txt    the same as tab-separated text (a download)
 */
export function registerEntraMappingRoutes(api: Router, runtime: Runtime): void {
  api.get(
    '/connectors/:id/entra-mapping',
    connectorRoute(runtime, async (_req, res, connector) => {
      res.json({ rows: entraMappingSheet(connector) });
    }),
  );

  api.get(
    '/connectors/:id/entra-mapping.txt',
    connectorRoute(runtime, async (_req, res, connector) => {
      res
        .type('text/plain; charset=utf-8')
        .attachment(`entra-mapping-${connector.id}.txt`)
        .send(mappingSheetText(entraMappingSheet(connector)));
    }),
  );
}
