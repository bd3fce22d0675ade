import type { Request, Response, Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { IdentityStore } from '../store/index.js';
import type { Connector, ScimToken } from '../model/types.js';
import { adminContext } from './audit-context.js';
import { connectorRoute } from './requests.js';
import { iso, type AdminToken } from '../model/admin-wire.js';

const tokenJson = (t: ScimToken, live: boolean): AdminToken => ({
  id: t.id,
  displayPrefix: t.displayPrefix,
  label: t.label,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: iso(t.lastUsedAt),
  expiresAt: iso(t.expiresAt),
  revokedAt: iso(t.revokedAt),
  live,
});

/** Newest first. "Live" comes from the store's own listLive, so the rule lives in one place. */
export async function listTokens(store: IdentityStore, connectorId: string): Promise<AdminToken[]> {
  const all = await store.tokens.list(connectorId);
  const live = new Set((await store.tokens.listLive(connectorId)).map((t) => t.id));
  return all.map((t) => tokenJson(t, live.has(t.id))).reverse();
}

/**
 *   GET    /api/connectors/:id/tokens
 *   POST   /api/connectors/:id/tokens             { "label"?: "…", "expiresInDays"?: 90 } → 201, the token once
 *   DELETE /api/connectors/:id/tokens/:tokenId
 */
export function registerTokenRoutes(api: Router, runtime: Runtime): void {
  const { store, logger } = runtime;

  api.get(
    '/connectors/:id/tokens',
    connectorRoute(runtime, async (_req, res, connector) => {
      res.json({ tokens: await listTokens(store, connector.id) });
    }),
  );

  api.post(
    '/connectors/:id/tokens',
    connectorRoute(runtime, async (req: Request, res: Response, connector: Connector) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const input = { label: body.label as string | null | undefined, expiresInDays: wholeNumber(body.expiresInDays) };
      const { token, record } = await runtime.tokens.create(connector, input, await adminContext(runtime, req, 201));
      logger.info('scim token created', {
        connectorId: connector.id,
        tokenId: record.id,
        displayPrefix: record.displayPrefix,
        requestId: req.identityRequestId,
      });
      // The only time the plain token leaves the server; the store keeps its SHA-256 hash.
      res.status(201).json({ token, ...tokenJson(record, true) });
    }),
  );

  api.delete(
    '/connectors/:id/tokens/:tokenId',
    connectorRoute(runtime, async (req, res, connector) => {
      const { token: revoked } = await runtime.tokens.revoke(
        String(req.params.tokenId),
        connector.id,
        await adminContext(runtime, req, 200),
      );
      logger.info('scim token revoked', {
        connectorId: connector.id,
        tokenId: revoked.id,
        requestId: req.identityRequestId,
      });
      res.json(tokenJson(revoked, false));
    }),
  );
}

/** A JSON or form number as the policy takes it: null when absent, NaN (refused there) when not a number. */
function wholeNumber(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
}
