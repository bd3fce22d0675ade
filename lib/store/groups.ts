import { v7 as uuidv7 } from 'uuid';
import type { EventBuffer } from '../model/events.js';
import type { Atomic } from './atomic.js';
import { chunks, isDataTooLong, isUniqueViolation, toDate, type StoreContext } from './context.js';
import { StoreError } from './errors.js';
import { applyFilter, sortExpression } from './filter-sql.js';
import { isResourceId, normalizeKey } from './keys.js';
import { creationOrder, fetchPage, totalOf, type Ordering } from './paging.js';
import { valueGroups, type Param } from './prepared.js';
import type {
  GroupMember,
  ListQuery,
  ListResult,
  MemberInput,
  MembershipChange,
  ResourceDocument,
  StoredGroup,
} from '../model/types.js';
import type { UserStore } from './users.js';

type Row = Record<string, unknown>;
const COLUMNS = [
  'id',
  'connector_id',
  'display_name',
  'external_id',
  'version',
  'document',
  'created_at',
  'updated_at',
];

function fromRow(row: Row): StoredGroup {
  return {
    id: String(row.id),
    connectorId: String(row.connector_id),
    displayName: String(row.display_name),
    externalId: (row.external_id as string | null) ?? null,
    version: Number(row.version),
    document: JSON.parse(String(row.document)),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** What a membership change actually did: the users who joined and who left. */
export interface MembershipOutcome {
  /** The ids of users who joined (not those already members). */
  added: string[];
  /** The ids of users who left, or `'all'` when the whole membership was cleared. */
  removed: string[] | 'all';
}

/** Groups and their membership. Membership changes are set-based: one statement a batch. */
export class GroupStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly users: UserStore,
    private readonly events: EventBuffer,
    private readonly atomic: Atomic,
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
   * Records a group and its first members in one transaction; `group.created` and `membership.added` follow the
   * commit. The store decides nothing: a host creates groups through `identity.groups`, which applies the connector's
   * prefix and writes the audit row.
   *
   * @throws {@link StoreError} `conflict` when the connector has a group of that displayName; `invalid_reference` when
   * a member is not a user of the connector.
   */
  async create(
    connectorId: string,
    document: ResourceDocument,
    members: MemberInput[] = [],
  ): Promise<{
    /** The group after the write. */
    group: StoredGroup;
    /** Who joined and who left. */
    outcome: MembershipOutcome;
  }> {
    if (this.atomic.outside) return this.atomic.run((s) => s.groups.create(connectorId, document, members));
    const id = uuidv7();
    const now = Date.now();
    const displayName = String(document.displayName);
    try {
      await this.db(this.t.groups).insert({
        id,
        connector_id: connectorId,
        display_name: displayName,
        display_name_key: normalizeKey(displayName),
        external_id: (document.externalId as string | undefined) ?? null,
        version: 1,
        document: JSON.stringify(document),
        created_at: now,
        updated_at: now,
      });
    } catch (error) {
      throw this.translate(error, displayName);
    }
    const added = await this.addMembers(connectorId, id, members, now);
    const group = await this.get(connectorId, id, { withMembers: true });
    if (!group) throw new StoreError('not_found', 'group vanished during creation');
    this.events.emit('group.created', group);
    if (added.length) this.events.emit('membership.added', { groupId: id, connectorId, userIds: added });
    return { group, outcome: { added, removed: [] } };
  }

  /**
   * Replaces the document and applies membership changes in order, bumping the version once.
   * Runs inside the caller's transaction.
   */
  async update(
    connectorId: string,
    id: string,
    change: { document?: ResourceDocument; membership?: MembershipChange[]; expectedVersion?: number },
    options: { withMembers?: boolean } = {},
  ): Promise<{
    /** The group after the write. */
    group: StoredGroup;
    /** Who joined and who left. */
    outcome: MembershipOutcome;
  }> {
    if (this.atomic.outside) return this.atomic.run((s) => s.groups.update(connectorId, id, change, options));
    const current = await this.lockVersion(connectorId, id);
    if (change.expectedVersion !== undefined && change.expectedVersion !== current) {
      throw new StoreError('version_mismatch', 'the group changed since that version was read', { current });
    }
    const now = Date.now();
    const update: Row = { version: current + 1, updated_at: now };
    if (change.document) {
      const displayName = String(change.document.displayName);
      Object.assign(update, {
        display_name: displayName,
        display_name_key: normalizeKey(displayName),
        external_id: (change.document.externalId as string | undefined) ?? null,
        document: JSON.stringify(change.document),
      });
    }
    const columns = Object.keys(update);
    try {
      // The column list is this method's own, never a request's.
      await this.sql.run(
        `UPDATE ${this.t.groups} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND connector_id = ?`,
        [...columns.map((c) => update[c] as Param), id, connectorId],
      );
    } catch (error) {
      throw this.translate(error, String(change.document?.displayName));
    }
    const outcome: MembershipOutcome = { added: [], removed: [] };
    for (const step of change.membership ?? []) {
      if (step.op === 'add') outcome.added.push(...(await this.addMembers(connectorId, id, step.members, now)));
      else if (step.op === 'remove')
        outcome.removed = mergeRemoved(outcome.removed, await this.removeMembers(id, step.userIds));
      else {
        await this.sql.run(`DELETE FROM ${this.t.groupMembers} WHERE group_id = ?`, [id]);
        outcome.removed = 'all';
        if (step.op === 'replace') outcome.added.push(...(await this.addMembers(connectorId, id, step.members, now)));
      }
    }
    const group = await this.get(connectorId, id, options);
    if (!group) throw new StoreError('not_found', `group ${id} not found`);
    this.events.emit('group.updated', group);
    if (outcome.removed === 'all' || outcome.removed.length)
      this.events.emit('membership.removed', { groupId: id, connectorId, userIds: outcome.removed });
    if (outcome.added.length)
      this.events.emit('membership.added', { groupId: id, connectorId, userIds: outcome.added });
    return { group, outcome };
  }

  /**
   * Deletes the group and its memberships (and clears it as the connector's default group); `group.deleted` follows.
   * False when it did not exist. Unaudited: hosts delete through `identity.groups`.
   */
  async delete(connectorId: string, id: string): Promise<boolean> {
    if (this.atomic.outside) return this.atomic.run((s) => s.groups.delete(connectorId, id));
    if (!isResourceId(id)) return false;
    // Clear it as a default group first, so no connector points at a deleted group.
    await this.db(this.t.connectors)
      .where({ id: connectorId, default_group_id: id })
      .update({ default_group_id: null, updated_at: Date.now() });
    const deleted = (await this.db(this.t.groups).where({ id, connector_id: connectorId }).delete()) > 0;
    if (deleted) this.events.emit('group.deleted', { id, connectorId });
    return deleted;
  }

  /** `forUpdate` locks the row until the transaction ends (read-modify-write such as PATCH). */
  async get(
    connectorId: string,
    id: string,
    options: { withMembers?: boolean; forUpdate?: boolean } = {},
  ): Promise<StoredGroup | undefined> {
    if (!isResourceId(id)) return undefined;
    const lock = options.forUpdate ? this.ctx.idioms.forUpdate : '';
    const [row] = await this.sql.all(
      `SELECT ${COLUMNS.join(', ')} FROM ${this.t.groups} WHERE id = ? AND connector_id = ?${lock}`,
      [id, connectorId],
    );
    if (!row) return undefined;
    const group = fromRow(row);
    if (options.withMembers) group.members = (await this.membersOf([id])).get(id) ?? [];
    return group;
  }

  /**
   * One page of the connector's groups matching a SCIM filter (RFC 7644 §3.4.2), with the total; members only with
   * `withMembers` (Entra reads groups with `excludedAttributes=members`).
   */
  async list(
    connectorId: string,
    query: ListQuery,
    options: { withMembers?: boolean } = {},
  ): Promise<ListResult<StoredGroup>> {
    const base = () => {
      const qb = this.db(`${this.t.groups} as g`).where('g.connector_id', connectorId);
      if (query.filter) applyFilter(qb, query.filter, 'Group', this.ctx, 'g', connectorId);
      return qb;
    };
    const sortExpr = query.sortBy ? sortExpression('Group', query.sortBy, 'g') : undefined;
    const ordering: Ordering = sortExpr ? { expr: sortExpr, nullable: true } : creationOrder('g');
    const page = await fetchPage(
      this.db,
      base(),
      ordering,
      'g.id',
      COLUMNS.map((c) => `g.${c}`),
      query,
    );
    const ids = page.rows.map((r) => String(r.id));
    let rows = page.rows;
    if (rows[0] && rows[0].document === undefined) {
      const byId = new Map(
        (await this.db(this.t.groups).select(COLUMNS).where('connector_id', connectorId).whereIn('id', ids)).map(
          (r: Row) => [String(r.id), r],
        ),
      );
      rows = ids.map((id) => byId.get(id)).filter((r): r is Row => Boolean(r));
    }
    const items = rows.map((r) => fromRow(r));
    if (options.withMembers && items.length) {
      const members = await this.membersOf(ids);
      for (const g of items) g.members = members.get(g.id) ?? [];
    }
    return {
      totalResults: await totalOf(page, base),
      items,
      nextCursor: page.nextCursor,
      previousCursor: page.previousCursor,
    };
  }

  /** The ids of a group's members (who a change to a mapped group's whole membership touches). */
  async memberIds(groupId: string): Promise<string[]> {
    return (await this.sql.all(`SELECT user_id FROM ${this.t.groupMembers} WHERE group_id = ?`, [groupId])).map((r) =>
      String(r.user_id),
    );
  }

  /** How many members each of these groups has (one grouped count; a group without members is 0). */
  async memberCounts(groupIds: string[]): Promise<Map<string, number>> {
    const counts = new Map(groupIds.map((id) => [id, 0]));
    if (!groupIds.length) return counts;
    const rows = await this.db(this.t.groupMembers)
      .select('group_id')
      .count({ n: '*' })
      .whereIn('group_id', groupIds)
      .groupBy('group_id');
    for (const r of rows as Array<{ group_id: string; n: number | string }>)
      counts.set(String(r.group_id), Number(r.n));
    return counts;
  }

  /** Validates every id first (nothing is inserted if one is unknown), then inserts, ignoring duplicates. */
  private async addMembers(
    connectorId: string,
    groupId: string,
    members: MemberInput[],
    now: number,
  ): Promise<string[]> {
    if (!members.length) return [];
    const unique = new Map<string, MemberInput>();
    for (const m of members) unique.set(m.value, m);
    const ids = [...unique.keys()];
    const existing = await this.users.existingIds(connectorId, ids);
    const missing = ids.filter((id) => !existing.has(id));
    if (missing.length) {
      throw new StoreError(
        'invalid_reference',
        `member ${missing
          .slice(0, 5)
          .map((m) => `"${m}"`)
          .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} is not a user of this connector`,
        { missing },
      );
    }
    // Members already in the group stay as they are.
    for (const chunk of chunks(ids)) {
      await this.sql.run(
        this.ctx.idioms.insertIgnoring(
          this.t.groupMembers,
          'group_id, user_id, display, created_at',
          valueGroups(chunk.length, 4),
          'group_id, user_id',
        ),
        chunk.flatMap((userId) => [groupId, userId, unique.get(userId)?.display?.slice(0, 255) ?? null, now]),
        'varying',
      );
    }
    return ids;
  }

  private async removeMembers(groupId: string, userIds: string[]): Promise<string[]> {
    const ids = [...new Set(userIds)].filter(isResourceId);
    for (const chunk of chunks(ids)) {
      await this.sql.run(
        `DELETE FROM ${this.t.groupMembers} WHERE group_id = ? AND user_id IN (${chunk.map(() => '?').join(', ')})`,
        [groupId, ...chunk],
        'varying',
      );
    }
    return ids;
  }

  private async membersOf(groupIds: string[]): Promise<Map<string, GroupMember[]>> {
    const out = new Map<string, GroupMember[]>();
    for (const chunk of chunks(groupIds)) {
      const rows = await this.sql.all(
        `SELECT m.group_id, m.user_id, m.display, u.display_name FROM ${this.t.groupMembers} m JOIN ${this.t.users} u ON u.id = m.user_id WHERE m.group_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY m.user_id`,
        chunk,
        'varying',
      );
      for (const r of rows) {
        const list = out.get(String(r.group_id)) ?? [];
        // A display sent by the client is kept; otherwise the user's own displayName.
        list.push({
          value: String(r.user_id),
          display: (r.display as string | null) ?? (r.display_name as string | null) ?? null,
        });
        out.set(String(r.group_id), list);
      }
    }
    return out;
  }

  private async lockVersion(connectorId: string, id: string): Promise<number> {
    if (!isResourceId(id)) throw new StoreError('not_found', `group ${id} not found`);
    const lock = this.ctx.idioms.forUpdate;
    const [row] = await this.sql.all(`SELECT version FROM ${this.t.groups} WHERE id = ? AND connector_id = ?${lock}`, [
      id,
      connectorId,
    ]);
    if (!row) throw new StoreError('not_found', `group ${id} not found`);
    return Number(row.version);
  }

  private translate(error: unknown, displayName: string): unknown {
    if (isUniqueViolation(error))
      return new StoreError('conflict', `a group named "${displayName}" already exists`, { attribute: 'displayName' });
    if (isDataTooLong(error)) return new StoreError('too_long', 'a value of the group is longer than the store keeps');
    return error;
  }
}

function mergeRemoved(current: string[] | 'all', more: string[]): string[] | 'all' {
  return current === 'all' ? 'all' : [...current, ...more];
}
