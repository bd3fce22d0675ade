import type { Request, Response, Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import { isStoreError } from '../store/errors.js';
import type { IdentityStore } from '../store/index.js';
import { MAX_LIVE_TOKENS } from '../store/tokens.js';
import type { Connector, ScimToken } from '../model/types.js';
import { sendJsonError } from './guard.js';
import { adminContext } from './audit-context.js';
import { connectorRoute, optionalInt } from './requests.js';
import { iso, type AdminToken } from '../model/admin-wire.js';

/** The label column is varchar(191). */
const MAX_LABEL_LENGTH = 191;
const MAX_EXPIRY_DAYS = 3650;
const DAY_MS = 86_400_000;

const tokenJson = (t: ScimToken, live: boolean): AdminToken => ({
  id: t.id, displayPrefix: t.displayPrefix, label: t.label, createdAt: t.createdAt.toISOString(),
  lastUsedAt: iso(t.lastUsedAt), expiresAt: iso(t.expiresAt), revokedAt: iso(t.revokedAt), live,
});

/** Newest first. "Live" comes from the store's own listLive, so the rule lives in one place. */
export async function listTokens(store: IdentityStore, connectorId: string): Promise<AdminToken[]> {
  const all = await store.tokens.list(connectorId);
  const live = new Set((await store.tokens.listLive(connectorId)).map((t) => t.id));
  return all.map((t) => tokenJson(t, live.has(t.id))).reverse();
}

/** Rotation with overlap, said in the admin's terms (the store's message names the CLI). */
const TOO_MANY_LIVE = `this connector already has ${MAX_LIVE_TOKENS} live tokens: revoke one before creating another `
  + '(to rotate: create the new token while only the old one is live, give it to Entra, then revoke the old one)';

/**
 *   GET    /api/connectors/:id/tokens
 *   POST   /api/connectors/:id/tokens             { "label"?: "…", "expiresInDays"?: 90 } → 201, the token once
 *   DELETE /api/connectors/:id/tokens/:tokenId
 */
export function registerTokenRoutes(api: Router, runtime: Runtime): void {
  const { store, logger } = runtime;

  api.get('/connectors/:id/tokens', connectorRoute(runtime, async (_req, res, connector) => {
    res.json({ tokens: await listTokens(store, connector.id) });
  }));

  api.post('/connectors/:id/tokens', connectorRoute(runtime, async (req: Request, res: Response, connector: Connector) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const label = body.label === undefined || body.label === null ? '' : body.label;
    if (typeof label !== 'string' || label.trim().length > MAX_LABEL_LENGTH) {
      return sendJsonError(res, 400, 'invalid_request', `label must be a string of at most ${MAX_LABEL_LENGTH} characters`);
    }
    const days = optionalInt(body.expiresInDays, { min: 1, max: MAX_EXPIRY_DAYS }, null);
    if (days === undefined) return sendJsonError(res, 400, 'invalid_request', `expiresInDays must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}, or absent for no expiry`);

    let created: { token: string; record: ScimToken };
    try {
      created = await runtime.audit.change(await adminContext(runtime, req, 201), async (tx) => {
        const value = await tx.tokens.create(connector.id, { label: label.trim() || undefined, expiresAt: days === null ? null : new Date(Date.now() + days * DAY_MS) });
        const { record } = value;
        return { value, record: { connectorId: connector.id, operation: 'token.create', resourceType: 'Token', resourceId: record.id, detail: { displayPrefix: record.displayPrefix, label: record.label, expiresAt: iso(record.expiresAt) } } };
      });
    } catch (error) {
      if (!isStoreError(error, 'conflict')) throw error;
      await runtime.audit.refusal(await adminContext(runtime, req, 409), { connectorId: connector.id, operation: 'token.create', resourceType: 'Token', resourceId: connector.id, detail: { reason: 'too_many_live_tokens' } });
      return sendJsonError(res, 409, 'too_many_live_tokens', TOO_MANY_LIVE);
    }
    const { record } = created;
    logger.info('scim token created', { connectorId: connector.id, tokenId: record.id, displayPrefix: record.displayPrefix, requestId: req.identityRequestId });
    // The only time the plain token leaves the server; the store keeps its SHA-256 hash.
    res.status(201).json({ token: created.token, ...tokenJson(record, true) });
  }));

  api.delete('/connectors/:id/tokens/:tokenId', connectorRoute(runtime, async (req, res, connector) => {
    const tokenId = String(req.params.tokenId);
    let revoked: ScimToken;
    try {
      revoked = await runtime.audit.change(await adminContext(runtime, req, 200), async (tx) => {
        const value = await tx.tokens.revoke(tokenId, connector.id);
        return { value, record: { connectorId: connector.id, operation: 'token.revoke', resourceType: 'Token', resourceId: value.id, detail: { displayPrefix: value.displayPrefix } } };
      });
    } catch (error) {
      if (isStoreError(error, 'not_found')) return sendJsonError(res, 404, 'not_found', `token ${tokenId} not found in connector ${connector.id}`);
      throw error;
    }
    logger.info('scim token revoked', { connectorId: connector.id, tokenId: revoked.id, requestId: req.identityRequestId });
    res.json(tokenJson(revoked, false));
  }));
}
