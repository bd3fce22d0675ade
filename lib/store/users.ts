import { v7 as uuidv7 } from 'uuid';
import type { EventBuffer } from '../model/events.js';
import type { Atomic } from './atomic.js';
import { chunks, isDataTooLong, isUniqueViolation, toBool, toDate, type StoreContext } from './context.js';
import { StoreError } from './errors.js';
import { applyFilter, sortExpression } from './filter-sql.js';
import { isResourceId, KEY_LENGTH, normalizeKey } from './keys.js';
import { creationOrder, fetchPage, totalOf, type Ordering } from './paging.js';
import { valueGroups, type Param } from './prepared.js';
import { projectUser, type UserProjection } from './project-user.js';
import type { UserTotals } from './user-totals.js';
import { primaryEmail } from '../model/validate/normalize.js';
import type {
  GroupRef,
  ListQuery,
  ListResult,
  LoginMethod,
  ResourceDocument,
  StoredUser,
  UserWrite,
  WebRole,
} from '../model/types.js';

type Row = Record<string, unknown>;
/** What a user read fills in beyond the stored columns and document. */
export interface ReadOptions {
  /** Also read the groups the user belongs to (the read-only `groups` attribute, RFC 7643 §4.1.2). */
  withGroups?: boolean;
  /** Lock the row until the transaction ends (read-modify-write such as PATCH). */
  forUpdate?: boolean;
}

const SUMMARY_COLUMNS = [
  'id',
  'connector_id',
  'user_name',
  'external_id',
  'active',
  'display_name',
  'login_method',
  'web_role',
  'protected',
  'resource_kind',
  'entra_object_id',
  'version',
  'document',
  'created_at',
  'updated_at',
];
const SUMMARY = SUMMARY_COLUMNS.join(', ');
const USER_COLUMNS = [
  'id',
  'connector_id',
  'external_id',
  'user_name',
  'user_name_key',
  'active',
  'given_name',
  'family_name',
  'display_name',
  'display_name_key',
  'title',
  'user_type',
  'locale',
  'preferred_language',
  'login_method',
  'web_role',
  'protected',
  'resource_kind',
  'entra_object_id',
  'email_key',
  'password_hash',
  'version',
  'document',
  'created_at',
  'updated_at',
];
const VALUE_COLUMNS = [
  'user_id',
  'connector_id',
  'attribute',
  'position',
  'value',
  'value_key',
  'type',
  'display',
  'is_primary',
];
const ADDRESS_COLUMNS = [
  'user_id',
  'connector_id',
  'position',
  'type',
  'formatted',
  'street_address',
  'locality',
  'region',
  'postal_code',
  'country',
  'is_primary',
];
const EXTENSION_COLUMNS = ['user_id', 'connector_id', 'schema_urn', 'attr_path', 'position', 'value', 'value_key'];

/** Which unique key a violation names: SQLite lists the columns, MariaDB and PostgreSQL the index. */
const EMAIL_KEY_VIOLATION = /\.email_key\b|_email_uq\b/;

/** The projection's child tables (user_values, user_addresses, user_extensions). */
const CHILD_PARTS = ['values', 'addresses', 'extensions'] as const;
type ChildPart = (typeof CHILD_PARTS)[number];
const sameRows = (a: object[], b: object[]) => a.length === b.length && JSON.stringify(a) === JSON.stringify(b);

/** `document` may be passed when the caller holds it already parsed. */
function fromRow(row: Row, document?: ResourceDocument): StoredUser {
  return {
    id: String(row.id),
    connectorId: String(row.connector_id),
    userName: String(row.user_name),
    externalId: (row.external_id as string | null) ?? null,
    active: toBool(row.active),
    displayName: (row.display_name as string | null) ?? null,
    loginMethod: row.login_method as LoginMethod,
    webRole: (row.web_role as WebRole | null) ?? null,
    protected: toBool(row.protected),
    resourceKind: (row.resource_kind as string | null) ?? null,
    entraObjectId: (row.entra_object_id as string | null) ?? null,
    version: Number(row.version),
    document: document ?? JSON.parse(String(row.document)),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** Users: the SCIM document plus its search projection, always written together. */
export class UserStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly events: EventBuffer,
    private readonly atomic: Atomic,
    private readonly totals: UserTotals,
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
   * Creates a user; it joins the connector's default group in the same statement batch.
   * Everything in `input` is already decided (policy/user-writes.ts): the store derives nothing.
   */
  async create(
    connectorId: string,
    input: UserWrite & { loginMethod: LoginMethod },
    options: ReadOptions = {},
  ): Promise<StoredUser> {
    if (this.atomic.outside) return this.atomic.run((s) => s.users.create(connectorId, input, options));
    const id = uuidv7();
    const now = Date.now();
    const projection = projectUser(input.document);
    const row: Row = {
      id,
      connector_id: connectorId,
      ...projection.columns,
      login_method: input.loginMethod,
      web_role: input.webRole ?? null,
      protected: input.protected ?? false,
      resource_kind: input.resourceKind ?? null,
      entra_object_id: input.entraObjectId ?? null,
      email_key: input.emailKey ?? null,
      password_hash: input.passwordHash ?? null,
      version: 1,
      document: JSON.stringify(input.document),
      created_at: now,
      updated_at: now,
    };
    try {
      await this.sql.run(
        `INSERT INTO ${this.t.users} (${USER_COLUMNS.join(', ')}) VALUES ${valueGroups(1, USER_COLUMNS.length)}`,
        USER_COLUMNS.map((c) => row[c] as Param),
      );
    } catch (error) {
      throw this.translate(error, input.document);
    }
    await this.insertProjectionRows(id, connectorId, projection);
    // The default group, if the connector names one: set-based, no read round trip.
    await this.sql.run(
      `INSERT INTO ${this.t.groupMembers} (group_id, user_id, created_at) SELECT c.default_group_id, ?, ? FROM ${this.t.connectors} c WHERE c.id = ? AND c.default_group_id IS NOT NULL`,
      [id, now, connectorId],
    );
    // Built from what was written: no read-back.
    const created = fromRow(row, input.document);
    if (options.withGroups) created.groups = (await this.groupsOf([id])).get(id) ?? [];
    this.events.emit('user.created', created);
    return created;
  }

  /**
   * Writes a new state over `current`, the row this transaction read with `lock`: the row is not
   * read again. The version guard in the WHERE clause keeps the write safe even so.
   */
  async write(current: StoredUser, input: UserWrite, options: ReadOptions = {}): Promise<StoredUser> {
    if (this.atomic.outside) return this.atomic.run((s) => s.users.write(current, input, options));
    const projection = projectUser(input.document);
    const update: Row = {
      ...projection.columns,
      document: JSON.stringify(input.document),
      ...this.accessColumns(input),
      version: current.version + 1,
      updated_at: Date.now(),
    };
    await this.updateRow(current, update, input.document);
    // Only the child tables whose rows differ are rewritten: Entra's usual PATCH (names, title,
    // department, active) touches none of them. The rows always equal the projection of the
    // stored document (written together, in one transaction), so the old ones need no read.
    const before = projectUser(current.document);
    for (const part of CHILD_PARTS) {
      if (sameRows(before[part], projection[part])) continue;
      if (before[part].length) await this.deleteChildRows(part, current.id, current.connectorId);
      await this.insertChildRows(part, current.id, current.connectorId, projection[part]);
    }
    return this.changed(current, update, input.document, options);
  }

  /** Columns that belong to the platform, not to the SCIM document: the document is not rewritten. */
  async setAccess(current: StoredUser, change: Omit<UserWrite, 'document'>): Promise<StoredUser> {
    const update: Row = { ...this.accessColumns(change), version: current.version + 1, updated_at: Date.now() };
    await this.updateRow(current, update, current.document);
    return this.changed(current, update, current.document, {});
  }

  private accessColumns(change: Omit<UserWrite, 'document'>): Row {
    const columns: Row = {};
    if (change.webRole !== undefined) columns.web_role = change.webRole;
    if (change.loginMethod !== undefined) columns.login_method = change.loginMethod;
    if (change.passwordHash !== undefined) columns.password_hash = change.passwordHash;
    if (change.protected !== undefined) columns.protected = change.protected;
    if (change.entraObjectId !== undefined) columns.entra_object_id = change.entraObjectId;
    if (change.emailKey !== undefined) columns.email_key = change.emailKey;
    return columns;
  }

  private async updateRow(current: StoredUser, update: Row, document: ResourceDocument): Promise<void> {
    let count: number;
    const columns = Object.keys(update);
    try {
      // The column list comes from this module (projection and access columns), never from a request.
      count = await this.sql.run(
        `UPDATE ${this.t.users} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND connector_id = ? AND version = ?`,
        [...columns.map((c) => update[c] as Param), current.id, current.connectorId, current.version],
      );
    } catch (error) {
      throw this.translate(error, document);
    }
    if (count === 0)
      throw new StoreError('version_mismatch', 'the user changed since that version was read', {
        current: current.version,
      });
  }

  private async changed(
    current: StoredUser,
    update: Row,
    document: ResourceDocument,
    options: ReadOptions,
  ): Promise<StoredUser> {
    const updated = fromRow({ ...this.toRow(current), ...update }, document);
    if (options.withGroups) updated.groups = (await this.groupsOf([current.id])).get(current.id) ?? [];
    this.events.emit('user.updated', updated);
    if (current.active && !updated.active) this.events.emit('user.deactivated', updated);
    return updated;
  }

  private toRow(u: StoredUser): Row {
    return {
      id: u.id,
      connector_id: u.connectorId,
      user_name: u.userName,
      external_id: u.externalId,
      active: u.active,
      display_name: u.displayName,
      login_method: u.loginMethod,
      web_role: u.webRole,
      protected: u.protected,
      resource_kind: u.resourceKind,
      entra_object_id: u.entraObjectId,
      version: u.version,
      created_at: u.createdAt.getTime(),
      updated_at: u.updatedAt.getTime(),
    };
  }

  /**
   * Deletes the user row (memberships and workspaces go with it through their foreign keys) and
   * queues its id for the purge of its search rows (`purgeDeleted`): the three projection tables
   * hang off no foreign key, so the delete writes two rows, not every value, address and
   * extension row and their indexes. Readers reach those rows only through a live user's id, so
   * the queued ones are never seen; the queue is a table, so a crash loses none.
   */
  async delete(connectorId: string, id: string): Promise<boolean> {
    if (!isResourceId(id)) return false;
    // The row's DELETE and its queue row commit together: a crash between them would orphan the search rows for good.
    if (this.atomic.outside) return this.atomic.run((s) => s.users.delete(connectorId, id));
    const count = await this.sql.run(`DELETE FROM ${this.t.users} WHERE id = ? AND connector_id = ?`, [
      id,
      connectorId,
    ]);
    if (count === 0) return false;
    await this.queuePurge(id, connectorId);
    this.events.emit('user.deleted', { id, connectorId });
    return true;
  }

  /**
   * Deletes `current`, the row this transaction read (with `lock`), at its version: the same
   * guard as write(), so a change that slipped in answers version_mismatch instead of being lost
   * silently. The search rows stay for the purge, as in `delete`.
   */
  async remove(current: StoredUser): Promise<void> {
    const { id, connectorId } = current;
    const count = await this.sql.run(`DELETE FROM ${this.t.users} WHERE id = ? AND connector_id = ? AND version = ?`, [
      id,
      connectorId,
      current.version,
    ]);
    if (count === 0)
      throw new StoreError('version_mismatch', 'the user changed since that version was read', {
        current: current.version,
      });
    await this.queuePurge(id, connectorId);
    this.events.emit('user.deleted', { id, connectorId });
  }

  private async queuePurge(id: string, connectorId: string): Promise<void> {
    await this.sql.run(`INSERT INTO ${this.t.userPurges} (user_id, connector_id, at) VALUES (?, ?, ?)`, [
      id,
      connectorId,
      Date.now(),
    ]);
  }

  /**
   * Removes the search rows (values, addresses, extensions) of up to `limit` deleted users from the
   * purge queue, and their queue rows, in one transaction; answers how many queue rows it took. A
   * batch is one set-based DELETE per table. Safe to run anywhere at any time: concurrent purges
   * claim different rows (SKIP LOCKED; SQLite runs one writer at a time), a rerun finds nothing
   * left, and the rows of an id that names a live user are kept (only the queue row goes).
   */
  async purgeDeleted(limit = 500): Promise<number> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer (got ${limit})`);
    if (this.atomic.outside) {
      // Most runs (at start, every minute) find the queue empty: one read then, no transaction.
      const [any] = await this.sql.all(`SELECT user_id FROM ${this.t.userPurges} LIMIT 1`, []);
      return any ? this.atomic.run((s) => s.users.purgeDeleted(limit)) : 0;
    }
    // The limit is written into the text, as findByExternalId's.
    const claimed = (
      await this.sql.all(
        `SELECT user_id FROM ${this.t.userPurges} ORDER BY user_id LIMIT ${limit}${this.ctx.idioms.skipLocked}`,
        [],
        'varying',
      )
    ).map((r) => String(r.user_id));
    if (!claimed.length) return 0;
    const list = claimed.map(() => '?').join(', ');
    // A user id is never reused (UUIDv7), so none should be live; checked anyway, it costs one index probe an id.
    const live = new Set(
      (await this.sql.all(`SELECT id FROM ${this.t.users} WHERE id IN (${list})`, claimed, 'varying')).map((r) =>
        String(r.id),
      ),
    );
    const gone = claimed.filter((id) => !live.has(id));
    if (gone.length) {
      const goneList = gone.map(() => '?').join(', ');
      for (const table of [this.t.userValues, this.t.userAddresses, this.t.userExtensions])
        await this.sql.run(`DELETE FROM ${table} WHERE user_id IN (${goneList})`, gone, 'varying');
    }
    await this.sql.run(`DELETE FROM ${this.t.userPurges} WHERE user_id IN (${list})`, claimed, 'varying');
    return claimed.length;
  }

  /** Reads the user a write applies to and locks it until the transaction ends (MySQL; SQLite writers are serial). */
  lock(connectorId: string, id: string, options: Omit<ReadOptions, 'forUpdate'> = {}): Promise<StoredUser | undefined> {
    return this.get(connectorId, id, { ...options, forUpdate: true });
  }

  /** The connector's user with this id, or undefined (also for an id that is not a UUID). */
  async get(connectorId: string, id: string, options: ReadOptions = {}): Promise<StoredUser | undefined> {
    if (!isResourceId(id)) return undefined;
    const lock = options.forUpdate ? this.ctx.idioms.forUpdate : '';
    const [row] = await this.sql.all(
      `SELECT ${SUMMARY} FROM ${this.t.users} WHERE id = ? AND connector_id = ?${lock}`,
      [id, connectorId],
    );
    if (!row) return undefined;
    return (await this.withGroups([fromRow(row)], options))[0];
  }

  /** The connector's user with this userName, in any letter case (userNames are unique per connector), or undefined. */
  async findByUserName(connectorId: string, userName: string): Promise<StoredUser | undefined> {
    return (await this.byUserName(connectorId, userName))[0];
  }

  private async byUserName(connectorId: string, userName: string): Promise<StoredUser[]> {
    const rows = await this.sql.all(
      `SELECT ${SUMMARY} FROM ${this.t.users} WHERE connector_id = ? AND user_name_key = ?`,
      [connectorId, normalizeKey(userName)],
    );
    return rows.map((r) => fromRow(r));
  }

  /**
   * In creation order, as a list page. externalId is not unique (RFC 7643): callers that need one
   * match must refuse several.
   */
  async findByExternalId(connectorId: string, externalId: string, limit = 2): Promise<StoredUser[]> {
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new Error(`limit must be a non-negative integer (got ${limit})`);
    // The limit is written into the text (MySQL refuses some parameter types for LIMIT in prepared
    // statements); page sizes are capped, so the texts are few.
    const rows = await this.sql.all(
      `SELECT ${SUMMARY} FROM ${this.t.users} WHERE connector_id = ? AND external_id = ? ORDER BY created_at, id LIMIT ${limit}`,
      [connectorId, externalId],
    );
    return rows.map((r) => fromRow(r));
  }

  /** The connector's users that this Entra object (`oid`, lower case) signs in as: more than one is a provisioning error. */
  async findByEntraObjectId(connectorId: string, objectId: string): Promise<StoredUser[]> {
    const rows = await this.sql.all(
      `SELECT ${SUMMARY} FROM ${this.t.users} WHERE connector_id = ? AND entra_object_id = ? ORDER BY created_at, id LIMIT 2`,
      [connectorId, objectId],
    );
    return rows.map((r) => fromRow(r));
  }

  /**
   * Entra's lookup before every create (`userName eq "…"` or `externalId eq "…"`, first page,
   * no sort) answered by one prepared statement; undefined when the query is any other shape,
   * or when more users match than fit on the page (the general path then counts them).
   */
  private async lookup(connectorId: string, query: ListQuery): Promise<StoredUser[] | undefined> {
    const f = query.filter;
    if (
      f?.kind !== 'compare' ||
      f.op !== 'eq' ||
      typeof f.value !== 'string' ||
      query.sortBy ||
      query.cursor !== undefined ||
      (query.startIndex ?? 1) > 1 ||
      query.count < 1
    )
      return undefined;
    const path = f.path.resolved;
    if (!path || path.extension || path.subAttribute) return undefined;
    // Values the filter compiler refuses (NUL, longer than the key columns) take its path and its error.
    if (f.value.includes('\u0000') || normalizeKey(f.value, Infinity).length > KEY_LENGTH) return undefined;
    if (path.canonicalPath === 'userName') return this.byUserName(connectorId, f.value);
    if (path.canonicalPath !== 'externalId') return undefined;
    const users = await this.findByExternalId(connectorId, f.value, query.count + 1);
    return users.length > query.count ? undefined : users;
  }

  /**
   * Users of the connector holding this email as an `emails` value or as their userName (the
   * host's own users often have no emails): candidates a create may link to.
   */
  async findByEmail(connectorId: string, email: string, limit = 2): Promise<StoredUser[]> {
    const key = normalizeKey(email);
    const withEmail = this.db(this.t.userValues)
      .select('user_id')
      .where({ connector_id: connectorId, attribute: 'emails', value_key: key });
    const rows = await this.db(this.t.users)
      .select(SUMMARY_COLUMNS)
      .where('connector_id', connectorId)
      .andWhere((q) => {
        q.whereIn('id', withEmail).orWhere('user_name_key', key);
      })
      .limit(limit);
    return rows.map((r: Row) => fromRow(r));
  }

  /** Raises `user.linked` (after commit) for a user a create matched and linked. */
  announceLink(user: StoredUser, matchedBy: 'email' | 'externalId'): void {
    this.events.emit('user.linked', { user, matchedBy });
  }

  /** Users across connectors whose userName is this (home-realm discovery by email). */
  async findAllByUserName(userName: string, limit = 10): Promise<StoredUser[]> {
    const rows = await this.db(this.t.users)
      .select(SUMMARY_COLUMNS)
      .where({ user_name_key: normalizeKey(userName) })
      .limit(limit);
    return rows.map((r: Row) => fromRow(r));
  }

  /**
   * Users across connectors that this sign-in identifier names: their userName or any of their
   * emails, in any letter case (both compared on the normalised *_key columns, in SQL).
   */
  async findAllByIdentifier(identifier: string, limit = 10): Promise<StoredUser[]> {
    const key = normalizeKey(identifier);
    const byEmail = this.db(this.t.userValues).select('user_id').where({ attribute: 'emails', value_key: key });
    const rows = await this.db(this.t.users)
      .select(SUMMARY_COLUMNS)
      .where('user_name_key', key)
      .orWhereIn('id', byEmail)
      .orderBy('created_at')
      .limit(limit);
    return rows.map((r: Row) => fromRow(r));
  }

  /** The user's built-in login password hash (scrypt, see `verifyPassword`), or null when none is set. */
  async passwordHash(connectorId: string, id: string): Promise<string | null> {
    if (!isResourceId(id)) return null;
    const row = await this.db(this.t.users).select('password_hash').where({ id, connector_id: connectorId }).first();
    return (row?.password_hash as string | null) ?? null;
  }

  /** One page of the connector's users matching a SCIM filter (RFC 7644 §3.4.2), with the total. */
  async list(connectorId: string, query: ListQuery, options: ReadOptions = {}): Promise<ListResult<StoredUser>> {
    const found = await this.lookup(connectorId, query);
    if (found) return { totalResults: found.length, items: await this.withGroups(found, options) };
    const base = () => {
      const qb = this.db(`${this.t.users} as u`).where('u.connector_id', connectorId);
      if (query.filter) applyFilter(qb, query.filter, 'User', this.ctx, 'u', connectorId);
      return qb;
    };
    const sortExpr = query.sortBy ? sortExpression('User', query.sortBy, 'u') : undefined;
    const ordering: Ordering = sortExpr ? { expr: sortExpr, nullable: true } : creationOrder('u');
    // Inside a transaction the cached total may not see the transaction's own writes.
    const cacheable = !query.filter && this.atomic.outside;
    const countAll = async () => Number((await base().count({ n: '*' }).first())?.n ?? 0);
    // A deep index page needs the total anyway; known first, it lets the page be read from the far end.
    const deep = query.cursor === undefined && (query.startIndex ?? 1) > 1;
    const known = cacheable && deep ? await this.totals.get(connectorId, countAll) : undefined;
    const page = await fetchPage(
      this.db,
      base(),
      ordering,
      'u.id',
      SUMMARY_COLUMNS.map((c) => `u.${c}`),
      query,
      known,
    );
    const ids = page.rows.map((r) => String(r.id));
    const items =
      page.rows[0]?.document !== undefined
        ? await this.withGroups(
            page.rows.map((r) => fromRow(r)),
            options,
          )
        : await this.getMany(connectorId, ids, options);
    const totalResults =
      known ??
      (cacheable && !page.complete
        ? await this.totals.get(connectorId, () => totalOf(page, base))
        : await totalOf(page, base));
    return { totalResults, items, nextCursor: page.nextCursor, previousCursor: page.previousCursor };
  }

  /** Fetches documents by id in the given order (the deferred half of a page query). */
  async getMany(connectorId: string, ids: string[], options: ReadOptions = {}): Promise<StoredUser[]> {
    if (!ids.length) return [];
    const rows = await this.db(this.t.users)
      .select(SUMMARY_COLUMNS)
      .where('connector_id', connectorId)
      .whereIn('id', ids);
    const byId = new Map(rows.map((r: Row) => [String(r.id), fromRow(r)]));
    return this.withGroups(
      ids.map((id) => byId.get(id)).filter((u): u is StoredUser => Boolean(u)),
      options,
    );
  }

  private async withGroups(users: StoredUser[], options: ReadOptions): Promise<StoredUser[]> {
    if (options.withGroups && users.length) {
      const groups = await this.groupsOf(users.map((u) => u.id));
      for (const u of users) u.groups = groups.get(u.id) ?? [];
    }
    return users;
  }

  /** Which of these ids are users of the connector (member validation, one query a chunk). */
  async existingIds(connectorId: string, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of chunks([...new Set(ids)].filter(isResourceId))) {
      const rows = await this.sql.all(
        `SELECT id FROM ${this.t.users} WHERE connector_id = ? AND id IN (${chunk.map(() => '?').join(', ')})`,
        [connectorId, ...chunk],
        'varying',
      );
      for (const r of rows) found.add(String(r.id));
    }
    return found;
  }

  /** Ids of the connector's users (of `among`, when given) whose login method is not `method`: a bulk switch's targets. */
  async idsNotSigningInWith(connectorId: string, method: LoginMethod, among?: string[]): Promise<string[]> {
    const q = this.db(this.t.users)
      .select('id')
      .where('connector_id', connectorId)
      .whereNot('login_method', method)
      .orderBy('created_at');
    if (among) q.whereIn('id', among);
    return (await q).map((r: Row) => String(r.id));
  }

  /**
   * The connector's users, counted up to `cap` (the answer is `cap` when there are at least that
   * many): the index walk stops there, where a full count walks every user.
   */
  async countUpTo(connectorId: string, cap: number): Promise<number> {
    if (!Number.isSafeInteger(cap) || cap < 0) throw new Error(`cap must be a non-negative integer (got ${cap})`);
    // The cap is written into the text, as findByExternalId's limit; it takes few values in a window.
    const [row] = await this.sql.all(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${this.t.users} WHERE connector_id = ? LIMIT ${cap}) capped`,
      [connectorId],
      'varying',
    );
    return Number(row?.n ?? 0);
  }

  /** How many users the connector has. */
  async count(connectorId: string): Promise<number> {
    const row = await this.db(this.t.users).where('connector_id', connectorId).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  private async groupsOf(userIds: string[]): Promise<Map<string, GroupRef[]>> {
    const out = new Map<string, GroupRef[]>();
    for (const chunk of chunks(userIds)) {
      const rows = await this.sql.all(
        `SELECT m.user_id, g.id, g.display_name FROM ${this.t.groupMembers} m JOIN ${this.t.groups} g ON g.id = m.group_id WHERE m.user_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY g.display_name_key`,
        chunk,
        'varying',
      );
      for (const r of rows) {
        const list = out.get(String(r.user_id)) ?? [];
        list.push({ id: String(r.id), displayName: String(r.display_name) });
        out.set(String(r.user_id), list);
      }
    }
    return out;
  }

  /** One multi-row INSERT per child table (SQLite caps a statement's terms: 200 rows at a time). */
  private async insertProjectionRows(userId: string, connectorId: string, p: UserProjection): Promise<void> {
    for (const part of CHILD_PARTS) await this.insertChildRows(part, userId, connectorId, p[part]);
  }

  private async insertChildRows(part: ChildPart, userId: string, connectorId: string, rows: object[]): Promise<void> {
    const { table, columns } = this.child(part);
    for (const chunk of chunks(rows, 200)) {
      const params: Param[] = [];
      for (const r of chunk)
        for (const c of columns)
          params.push(c === 'user_id' ? userId : c === 'connector_id' ? connectorId : ((r as Row)[c] as Param));
      await this.sql.run(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${valueGroups(chunk.length, columns.length)}`,
        params,
        'varying',
      );
    }
  }

  private async deleteChildRows(part: ChildPart, userId: string, connectorId: string): Promise<void> {
    await this.sql.run(`DELETE FROM ${this.child(part).table} WHERE user_id = ? AND connector_id = ?`, [
      userId,
      connectorId,
    ]);
  }

  private child(part: ChildPart): { table: string; columns: string[] } {
    switch (part) {
      case 'values':
        return { table: this.t.userValues, columns: VALUE_COLUMNS };
      case 'addresses':
        return { table: this.t.userAddresses, columns: ADDRESS_COLUMNS };
      case 'extensions':
        return { table: this.t.userExtensions, columns: EXTENSION_COLUMNS };
    }
  }

  private translate(error: unknown, document: Record<string, unknown>): unknown {
    if (isUniqueViolation(error) && EMAIL_KEY_VIOLATION.test(String((error as Error).message))) {
      return new StoreError('conflict', `email "${String(primaryEmail(document))}" is already another user's`, {
        attribute: 'emails',
      });
    }
    if (isUniqueViolation(error))
      return new StoreError('conflict', `userName "${String(document.userName)}" is already taken`, {
        attribute: 'userName',
      });
    if (isDataTooLong(error)) return new StoreError('too_long', 'a value of the user is longer than the store keeps');
    return error;
  }
}
