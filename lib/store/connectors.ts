import { randomUUID } from 'node:crypto';
import type { EventBuffer } from '../model/events.js';
import { isUniqueViolation, toDate, type StoreContext } from './context.js';
import { StoreError } from './errors.js';
import { MAX_DEPROVISION_WINDOW_MINUTES } from '../model/limits.js';
import { PRESET_NAMES, presetNamed } from '../model/presets.js';
import { DEFAULT_SETTINGS, mergeSettings, parseStoredSettings, SettingsError } from '../model/settings.js';
import type { Connector } from '../model/types.js';
import { creationOrder, fetchPage } from './paging.js';

type Row = Record<string, unknown>;

/** A page of connectors in creation order, each with its live token count (admin/connectors-api.ts). */
export interface ConnectorPage {
  /** The page's connectors, oldest first. */
  items: Array<{
    /** The connector. */
    connector: Connector;
    /** Its SCIM tokens that authenticate now (neither revoked nor expired). */
    liveTokenCount: number;
  }>;
  /** Continues after the last item; absent on the last page. */
  nextCursor?: string;
}

function fromRow(row: Row): Connector {
  return {
    id: String(row.id),
    organizationId: String(row.organization_id),
    name: String(row.name),
    profile: String(row.profile),
    oidc: {
      issuer: (row.oidc_issuer as string | null) ?? null,
      clientId: (row.oidc_client_id as string | null) ?? null,
      tenantId: (row.entra_tenant_id as string | null) ?? null,
      hasClientSecret: Boolean(row.oidc_client_secret_enc),
    },
    settings: parseStoredSettings(String(row.settings)),
    defaultGroupId: (row.default_group_id as string | null) ?? null,
    ssoVerifiedAt: row.sso_verified_at == null ? null : toDate(row.sso_verified_at),
    deprovisioningPausedAt: row.deprovisioning_paused_at == null ? null : toDate(row.deprovisioning_paused_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** A connector's OpenID Connect settings as the store writes them, decided and encrypted by `policy/oidc.ts`. */
export interface OidcWrite {
  /** The issuer URL, validated (OpenID Connect Discovery 1.0 §4). */
  issuer: string;
  /** The application (client) ID. */
  clientId: string;
  /** The Entra tenant id the `tid` claim must equal; null: not checked. */
  tenantId: string | null;
  /** The client secret, encrypted with the host's `secretKey`; undefined keeps the stored one. */
  clientSecretEncrypted?: string;
}

/**
 * Connectors and their settings, OIDC configuration and deprovisioning state. The store records what it is given:
 * writes made here carry no audit row, so the admin API, the CLI and `identity.configureOidc` go through
 * `lib/policy/connectors.ts` and `oidc.ts`; a host reads here (`identity.store.connectors.require(id)`).
 */
export class ConnectorStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly events: EventBuffer,
  ) {}
  private get db() {
    return this.ctx.db;
  }
  private get t() {
    return this.ctx.tables;
  }
  private get sql() {
    return this.ctx.prepared;
  }

  /**
   * `preset` names a settings bundle of model/presets.ts (recorded as the connector's profile);
   * `settings` then apply over it.
   */
  async create(input: {
    organizationId: string;
    name: string;
    profile?: string;
    preset?: string;
    settings?: unknown;
  }): Promise<Connector> {
    const preset = input.preset === undefined ? undefined : presetNamed(input.preset);
    if (input.preset !== undefined && !preset)
      throw new SettingsError(`unknown preset "${input.preset}"; presets: ${PRESET_NAMES.join(', ')}`, 'preset');
    const base = preset ? mergeSettings(DEFAULT_SETTINGS, preset.settings) : DEFAULT_SETTINGS;
    const settings = input.settings === undefined ? base : mergeSettings(base, input.settings);
    const id = randomUUID();
    const now = Date.now();
    try {
      await this.db(this.t.connectors).insert({
        id,
        organization_id: input.organizationId,
        name: input.name,
        profile: input.profile ?? input.preset ?? 'entra',
        settings: JSON.stringify(settings),
        created_at: now,
        updated_at: now,
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new StoreError(
          'conflict',
          `organization "${input.organizationId}" already has a connector named "${input.name}"`,
          { attribute: 'name' },
        );
      throw error;
    }
    return (await this.get(id))!;
  }

  /** The connector with this id, or undefined. */
  async get(id: string): Promise<Connector | undefined> {
    const row = await this.db(this.t.connectors).where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  /**
   * The connector with this id.
   *
   * @throws {@link StoreError} `not_found` when there is none.
   */
  async require(id: string): Promise<Connector> {
    const connector = await this.get(id);
    if (!connector) throw new StoreError('not_found', `connector ${id} not found`);
    return connector;
  }

  /** The connectors, oldest first, of one organization or several when a filter names them, else all. */
  async list(filter: { organizationId?: string; organizationIds?: string[] } = {}): Promise<Connector[]> {
    const q = this.db(this.t.connectors).orderBy('created_at');
    if (filter.organizationId) q.where('organization_id', filter.organizationId);
    if (filter.organizationIds) q.whereIn('organization_id', filter.organizationIds);
    return (await q).map(fromRow);
  }

  /**
   * One page of connectors, oldest first (creation time, then id), with each one's live token
   * count, in ONE statement whatever the page size or the number of connectors: the count is a
   * correlated subquery over the tokens' connector index, and deeper pages continue from a
   * keyset cursor (paging.ts) instead of skipping rows. `organizationIds` keeps an
   * organization's admin inside their organizations (an empty list finds nothing).
   */
  async page(
    filter: { organizationIds?: string[] },
    query: { cursor?: string | null; count: number },
    now = Date.now(),
  ): Promise<ConnectorPage> {
    const { connectors, scimTokens } = this.t;
    const base = this.db({ c: connectors }).select(
      this.db.raw(
        `(SELECT COUNT(*) FROM ${scimTokens} t WHERE t.connector_id = c.id AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)) AS live_tokens`,
        [now],
      ),
    );
    if (filter.organizationIds) base.whereIn('c.organization_id', filter.organizationIds);
    const page = await fetchPage(this.db, base, creationOrder('c'), 'c.id', ['c.*'], {
      cursor: query.cursor ?? null,
      count: query.count,
    });
    return {
      items: page.rows.map((row) => ({ connector: fromRow(row), liveTokenCount: Number(row.live_tokens) })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** The organization's connector of that name (names are unique per organization), or undefined. */
  async findByName(organizationId: string, name: string): Promise<Connector | undefined> {
    const row = await this.db(this.t.connectors).where({ organization_id: organizationId, name }).first();
    return row ? fromRow(row) : undefined;
  }

  /**
   * Merges a settings patch over the connector and writes it. A caller that holds the connector
   * passes it: then the write is one statement and nothing is read. Settings are validated in
   * model/settings.ts.
   */
  async updateSettings(connector: Connector | string, patch: unknown): Promise<Connector> {
    const current = typeof connector === 'string' ? await this.require(connector) : connector;
    const settings = mergeSettings(current.settings, patch);
    const updatedAt = Date.now();
    const count = await this.db(this.t.connectors)
      .where({ id: current.id })
      .update({ settings: JSON.stringify(settings), updated_at: updatedAt });
    if (count === 0) throw new StoreError('not_found', `connector ${current.id} not found`);
    const updated: Connector = { ...current, settings, updatedAt: new Date(updatedAt) };
    this.events.emit('connector.updated', updated);
    return updated;
  }

  /**
   * Writes the OpenID Connect settings and clears `ssoVerifiedAt`: new settings have not been shown to work yet.
   *
   * @throws {@link StoreError} `not_found` when the connector does not exist.
   */
  async setOidc(id: string, oidc: OidcWrite): Promise<Connector> {
    await this.require(id);
    // New settings have not been shown to work yet.
    const update: Row = {
      oidc_issuer: oidc.issuer,
      oidc_client_id: oidc.clientId,
      entra_tenant_id: oidc.tenantId,
      sso_verified_at: null,
      updated_at: Date.now(),
    };
    if (oidc.clientSecretEncrypted !== undefined) update.oidc_client_secret_enc = oidc.clientSecretEncrypted;
    await this.db(this.t.connectors).where({ id }).update(update);
    return this.changed(id);
  }

  /**
   * Stores the Entra tenant id alone (null clears it), with or without OpenID Connect. A changed
   * tenant changes which sign-ins pass the `tid` check: the connection must be shown to work again.
   */
  async setTenant(id: string, tenantId: string | null): Promise<Connector> {
    const current = await this.require(id);
    const update: Row = { entra_tenant_id: tenantId, updated_at: Date.now() };
    if (current.oidc.tenantId !== tenantId) update.sso_verified_at = null;
    await this.db(this.t.connectors).where({ id }).update(update);
    return this.changed(id);
  }

  /** Records that an OpenID Connect round trip through this connector completed (first time only counts). */
  async markSsoVerified(id: string, at = new Date()): Promise<void> {
    await this.db(this.t.connectors)
      .where({ id })
      .whereNull('sso_verified_at')
      .update({ sso_verified_at: at.getTime() });
  }

  /** The encrypted client secret; only the SSO module decrypts it. */
  async encryptedClientSecret(id: string): Promise<string | null> {
    const row = await this.db(this.t.connectors).select('oidc_client_secret_enc').where({ id }).first();
    return (row?.oidc_client_secret_enc as string | null) ?? null;
  }

  /** Names the default group; it must be a group of the same connector. */
  async setDefaultGroup(id: string, groupId: string | null): Promise<Connector> {
    await this.require(id);
    if (groupId !== null) {
      const group = await this.db(this.t.groups).select('id').where({ id: groupId, connector_id: id }).first();
      if (!group)
        throw new StoreError('invalid_reference', `default group ${groupId} is not a group of connector ${id}`);
    }
    await this.db(this.t.connectors).where({ id }).update({ default_group_id: groupId, updated_at: Date.now() });
    return this.changed(id);
  }

  /**
   * What the mass-deprovisioning guard decides on, read in the deprovisioning write's
   * transaction: whether the connector is paused, the deactivations and deletions it admitted
   * since `since` or the last resume, whichever is later (an index range of the deprovisionings
   * table), and the oldest one kept. Plain reads lock nothing: far from the threshold,
   * concurrent deprovisioning writes do not wait for each other's commits. `locked` (near the
   * threshold, on MariaDB and PostgreSQL) locks the connector row until the write commits, so such
   * writes count one after another, and counts with a read that sees every committed row (not
   * the transaction's snapshot; dialect.ts countAfterLock) and waits for those being inserted.
   * SQLite writes one transaction at a time: its reads are exact either way. Prepared statements: this runs in every deletion and
   * deactivation (prepared.ts). Unlocked, it is one statement (the window's start, the later of
   * `since` and the resume, is chosen in SQL); locked, two, because a locking read does not lock
   * what its subqueries read.
   *
   * @internal The mass-deprovisioning guard's (policy/user-writes.ts), not the host's.
   */
  async deprovisioningLoad(
    id: string,
    since: number,
    locked = false,
  ): Promise<{ paused: boolean; recent: number; oldest: number | null }> {
    const { connectors, deprovisionings } = this.t;
    const oldest = `(SELECT MIN(at) FROM ${deprovisionings} WHERE connector_id = ?) AS oldest`;
    let row: Record<string, unknown> | undefined;
    const { rowLocks, forUpdate, countAfterLock } = this.ctx.idioms;
    if (locked && rowLocks) {
      [row] = await this.sql.all(
        `SELECT deprovisioning_paused_at, deprovisioning_resumed_at FROM ${connectors} WHERE id = ?${forUpdate}`,
        [id],
      );
      if (row) {
        const from = Math.max(since, Number(row.deprovisioning_resumed_at ?? 0));
        const [recent] = await this.sql.all(
          `SELECT COUNT(*) AS n, ${oldest} FROM ${deprovisionings} WHERE connector_id = ? AND at >= ?${countAfterLock}`,
          [id, id, from],
        );
        row = { ...row, ...recent };
      }
    } else {
      const from = `CASE WHEN c.deprovisioning_resumed_at > ? THEN c.deprovisioning_resumed_at ELSE ? END`;
      [row] = await this.sql.all(
        `SELECT c.deprovisioning_paused_at, (SELECT COUNT(*) FROM ${deprovisionings} d WHERE d.connector_id = c.id AND d.at >= ${from}) AS n, ${oldest} FROM ${connectors} c WHERE c.id = ?`,
        [since, since, id, id],
      );
    }
    if (!row) throw new StoreError('not_found', `connector ${id} not found`);
    return {
      paused: row.deprovisioning_paused_at != null,
      recent: Number(row.n ?? 0),
      oldest: row.oldest == null ? null : Number(row.oldest),
    };
  }

  /**
   * Counts a deactivation or deletion the guard admitted, in that write's transaction (it goes
   * if the write rolls back). `oldest` (from the load): rows older than the longest window are
   * dropped only when some are more than an hour past it, about once an hour, because that
   * range delete locks the front of the connector's range until commit (on MariaDB), which
   * would make concurrent deprovisioning writes wait for each other again.
   */
  async recordDeprovisioning(id: string, userId: string, oldest: number | null): Promise<void> {
    const now = Date.now();
    await this.sql.run(`INSERT INTO ${this.t.deprovisionings} (connector_id, at, user_id) VALUES (?, ?, ?)`, [
      id,
      now,
      userId,
    ]);
    const expired = now - MAX_DEPROVISION_WINDOW_MINUTES * 60_000;
    if (oldest !== null && oldest < expired - 3_600_000) {
      await this.sql.run(`DELETE FROM ${this.t.deprovisionings} WHERE connector_id = ? AND at < ?`, [id, expired]);
    }
  }

  /**
   * Pauses deprovisioning. True only for the write whose UPDATE changed the row (affected rows = 1);
   * the event fires for that write alone, not when the connector already was paused.
   */
  async pauseDeprovisioning(
    id: string,
    trip: { deprovisioned: number; threshold: number; windowMinutes: number },
  ): Promise<boolean> {
    const pausedAt = new Date();
    const count = await this.db(this.t.connectors)
      .where({ id })
      .whereNull('deprovisioning_paused_at')
      .update({ deprovisioning_paused_at: pausedAt.getTime() });
    if (count !== 1) return false;
    this.events.emit('connector.deprovisioning-paused', { connectorId: id, pausedAt, ...trip });
    await this.changed(id);
    return true;
  }

  /** An admin confirmed the deprovisioning: it continues, and the guard's window starts afresh. */
  async resumeDeprovisioning(id: string): Promise<Connector> {
    await this.db(this.t.connectors)
      .where({ id })
      .update({ deprovisioning_paused_at: null, deprovisioning_resumed_at: Date.now() });
    return this.changed(id);
  }

  /** The connectors whose deprovisioning the guard holds now (metrics read it at each scrape, across instances). */
  async pausedDeprovisioning(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db(this.t.connectors)
      .select('id')
      .whereNotNull('deprovisioning_paused_at');
    return rows.map((row) => row.id);
  }

  /**
   * Deletes the connector with its tokens, users and groups (foreign keys cascade; the users' search rows go
   * through the purge queue); `connector.deleted` follows.
   * False when it did not exist.
   */
  async delete(id: string): Promise<boolean> {
    // The guard's counts hang off no foreign key (they outlive nothing but the window).
    await this.db(this.t.deprovisionings).where({ connector_id: id }).delete();
    // Nor do the users' search rows: their users are queued for the purge (users.ts `purgeDeleted`),
    // which keeps the rows of any user still there should the delete below not happen.
    await this.db.raw(
      this.ctx.idioms.insertSelectIgnoring(
        '??',
        'user_id, connector_id, at',
        // The time as a literal (an integer of ours): PostgreSQL would type a bare parameter here as text.
        `SELECT id, connector_id, ${Date.now()} FROM ?? WHERE connector_id = ?`,
        'user_id',
      ),
      [this.t.userPurges, this.t.users, id],
    );
    const deleted = (await this.db(this.t.connectors).where({ id }).delete()) > 0;
    if (deleted) this.events.emit('connector.deleted', { id });
    return deleted;
  }

  private async changed(id: string): Promise<Connector> {
    const connector = await this.require(id);
    this.events.emit('connector.updated', connector);
    return connector;
  }
}
