import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EventBuffer } from '../model/events.js';
import type { Atomic } from './atomic.js';
import { toDate, toDateOrNull, type StoreContext } from './context.js';
import { StoreError } from './errors.js';
import type { ScimToken } from '../model/types.js';

/** Two live tokens per connector: the old one keeps working while Entra is given the new one. */
export const MAX_LIVE_TOKENS = 2;
const TOKEN_PREFIX = 'idc_';
/** last_used_at is written at most once a minute per token, not on every request. */
export const LAST_USED_GRANULARITY_MS = 60_000;

type Row = Record<string, unknown>;

/** The SHA-256 hex digest of a token: what the store keeps and looks tokens up by. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

function fromRow(row: Row): ScimToken {
  return {
    id: String(row.id),
    connectorId: String(row.connector_id),
    displayPrefix: String(row.display_prefix),
    label: (row.label as string | null) ?? null,
    createdAt: toDate(row.created_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    expiresAt: toDateOrNull(row.expires_at),
    revokedAt: toDateOrNull(row.revoked_at),
  };
}

/** What revoking a token did. */
export interface RevokedToken {
  /** The token as stored after the call. */
  token: ScimToken;
  /** False when it was revoked before: nothing was written and no event raised. */
  revokedNow: boolean;
}

/**
 * SCIM bearer tokens (RFC 6750): issued, verified by hash, listed and revoked. Writes here are unaudited; the admin
 * API and the CLI issue and revoke through `lib/policy/tokens.ts`.
 */
export class TokenStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly events: EventBuffer,
    private readonly atomic: Atomic,
  ) {}
  private get db() {
    return this.ctx.db;
  }
  private get t() {
    return this.ctx.tables;
  }

  /**
   * Issues a token of 256 random bits. The plain token is returned once and never stored:
   * only its SHA-256 hash is kept. `plainToken` lets a deployment adopt a token it already
   * gave Entra (the demo's SCIM_BOOTSTRAP_TOKEN).
   */
  async create(
    connectorId: string,
    options: { label?: string; expiresAt?: Date | null; plainToken?: string } = {},
  ): Promise<{
    /** The plain bearer token (`idc_…`), shown once: only its hash is stored. */
    token: string;
    /** The stored record. */
    record: ScimToken;
  }> {
    if (this.atomic.outside) return this.atomic.run((s) => s.tokens.create(connectorId, options));
    // Lock the connector so that two concurrent creations cannot both pass the live-token check.
    const lock = this.db(this.t.connectors).select('id').where({ id: connectorId });
    if (this.ctx.idioms.rowLocks) lock.forUpdate();
    if (!(await lock.first())) throw new StoreError('not_found', `connector ${connectorId} not found`);
    const live = await this.listLive(connectorId);
    if (live.length >= MAX_LIVE_TOKENS) {
      throw new StoreError(
        'conflict',
        `connector ${connectorId} already has ${MAX_LIVE_TOKENS} live tokens: revoke one (token revoke ID) before creating another`,
      );
    }
    if (options.plainToken !== undefined && options.plainToken.length < 32) {
      throw new StoreError('invalid_configuration', 'a provided SCIM token must be at least 32 characters long');
    }
    const token = options.plainToken ?? TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = randomUUID();
    await this.db(this.t.scimTokens).insert({
      id,
      connector_id: connectorId,
      token_hash: hashToken(token),
      display_prefix: token.slice(0, 8),
      label: options.label ?? null,
      created_at: Date.now(),
      expires_at: options.expiresAt ? options.expiresAt.getTime() : null,
    });
    const record = await this.db(this.t.scimTokens).where({ id }).first();
    return { token, record: fromRow(record) };
  }

  /** The live token with this value, or undefined. Found by hash, confirmed in constant time. */
  async verify(token: string, now = Date.now()): Promise<ScimToken | undefined> {
    const hash = hashToken(token);
    const row = await this.db(this.t.scimTokens).where({ token_hash: hash }).first();
    if (!row) return undefined;
    if (!timingSafeEqual(Buffer.from(String(row.token_hash), 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    if (row.revoked_at !== null && row.revoked_at !== undefined) return undefined;
    if (row.expires_at !== null && row.expires_at !== undefined && Number(row.expires_at) <= now) return undefined;
    const lastUsed = row.last_used_at === null ? 0 : Number(row.last_used_at);
    if (now - lastUsed > LAST_USED_GRANULARITY_MS) {
      await this.db(this.t.scimTokens).where({ id: row.id }).update({ last_used_at: now });
      row.last_used_at = now;
    }
    return fromRow(row);
  }

  /**
   * A value that changes whenever any instance creates, revokes or deletes a token, or changes
   * or deletes a connector (every column a verified principal carries): counts and sums of the
   * change times, one statement. The verified-token cache (auth/principal-cache.ts) reads it
   * once a period for all its entries instead of re-reading each token.
   */
  async credentialsFingerprint(): Promise<string> {
    const { scimTokens, connectors } = this.t;
    const [row] = await this.ctx.prepared.all(
      `SELECT (SELECT COUNT(*) FROM ${scimTokens}) AS tokens, (SELECT SUM(COALESCE(revoked_at, 0)) FROM ${scimTokens}) AS revoked,` +
        ` (SELECT COUNT(*) FROM ${connectors}) AS connectors, (SELECT SUM(updated_at) FROM ${connectors}) AS updated,` +
        ` (SELECT SUM(COALESCE(sso_verified_at, 0) + COALESCE(deprovisioning_paused_at, 0) + COALESCE(deprovisioning_resumed_at, 0)) FROM ${connectors}) AS states`,
      [],
    );
    return [row.tokens, row.revoked, row.connectors, row.updated, row.states].map(String).join(':');
  }

  /** The tokens of one connector (or of all), oldest first, revoked and expired ones included. */
  async list(connectorId?: string): Promise<ScimToken[]> {
    const q = this.db(this.t.scimTokens).orderBy('created_at');
    if (connectorId) q.where('connector_id', connectorId);
    return (await q).map(fromRow);
  }

  /** The connector's tokens that authenticate now: neither revoked nor expired at `now` (epoch ms). */
  async listLive(connectorId: string, now = Date.now()): Promise<ScimToken[]> {
    return (await this.list(connectorId)).filter((t) => !t.revokedAt && (!t.expiresAt || t.expiresAt.getTime() > now));
  }

  /**
   * Revokes a live token at once (every instance's verified-token cache drops it within its period);
   * `token.revoked` follows. `revokedNow` is false when it was revoked already: nothing written, no event.
   *
   * @throws {@link StoreError} `not_found` when there is no such token (of that connector, when named).
   */
  async revoke(id: string, connectorId?: string): Promise<RevokedToken> {
    const q = this.db(this.t.scimTokens).where({ id });
    if (connectorId) q.where('connector_id', connectorId);
    const row = await q.clone().first();
    if (!row) throw new StoreError('not_found', `token ${id} not found`);
    const revokedNow =
      (await this.db(this.t.scimTokens).where({ id }).whereNull('revoked_at').update({ revoked_at: Date.now() })) > 0;
    const token = fromRow(await this.db(this.t.scimTokens).where({ id }).first());
    if (revokedNow) this.events.emit('token.revoked', token);
    return { token, revokedNow };
  }
}
