import type { EventBuffer } from '../model/events.js';
import type { UserWorkspaces, Workspace } from '../model/types.js';
import { chunks, toBool, toDate, type StoreContext } from './context.js';
import { isResourceId, normalizeKey } from './keys.js';
import { valueGroups, type Param } from './prepared.js';

type Row = Record<string, unknown>;

/**
 * What a workspace decision reads, in the terms of the tables (policy/workspaces.ts builds it
 * from the connector's mapping): the attribute's rows and their value → workspace map, and the
 * group → workspace map in priority order. The store only evaluates it, set-based.
 */
export interface CandidatePlan {
  organizationId: string;
  attribute: { schemaUrn: string; attrPath: string } | null;
  /** Attribute value → workspace id; a value not listed counts as a workspace id itself. */
  values: Array<[value: string, workspaceId: string]>;
  /** Group key (its id or externalId) → workspace id; rank = position + 1 (the attribute is rank 0). */
  groups: Array<[group: string, workspaceId: string]>;
}

/** A registered workspace one of these users maps to, with the rank of the rule that mapped it (lower wins). */
export interface Candidate {
  userId: string;
  workspaceId: string;
  rank: number;
}

/** One user's workspaces before and after a decision: what `apply` writes and `user.workspaces-changed` carries. */
export interface WorkspaceChange {
  /** The user concerned. */
  userId: string;
  /** Recorded before the decision. */
  before: UserWorkspaces;
  /** Decided now. */
  after: UserWorkspaces;
}

const EMPTY: UserWorkspaces = { primary: null, workspaces: [] };

function fromRow(row: Row): Workspace {
  return {
    organizationId: String(row.organization_id),
    id: String(row.workspace_id),
    name: String(row.name),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * Workspaces the host registers per organization, and which of them each user is in. The
 * decision (policy/workspaces.ts) reads candidates for a set of users in two statements a chunk
 * and writes the changed users' rows in one DELETE and one multi-row INSERT a chunk.
 */
export class WorkspaceStore {
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

  /** Registers a workspace, or renames it: `created` says which. */
  async register(
    organizationId: string,
    id: string,
    name: string,
  ): Promise<{
    /** The workspace as stored. */
    workspace: Workspace;
    /** True when it was new, false when an existing one was renamed. */
    created: boolean;
  }> {
    const now = Date.now();
    const renamed = await this.db(this.t.workspaces)
      .where({ organization_id: organizationId, workspace_id: id })
      .update({ name, updated_at: now });
    if (!renamed)
      await this.db(this.t.workspaces).insert({
        organization_id: organizationId,
        workspace_id: id,
        name,
        created_at: now,
        updated_at: now,
      });
    const row = await this.db(this.t.workspaces).where({ organization_id: organizationId, workspace_id: id }).first();
    return { workspace: fromRow(row), created: !renamed };
  }

  /** The organization's workspaces, oldest first (the first is the default fallback). */
  async list(organizationId: string): Promise<Workspace[]> {
    return (
      await this.db(this.t.workspaces)
        .where({ organization_id: organizationId })
        .orderBy([{ column: 'created_at' }, { column: 'workspace_id' }])
    ).map(fromRow);
  }

  /** The organization's workspace with this id, or undefined. */
  async get(organizationId: string, id: string): Promise<Workspace | undefined> {
    const row = await this.db(this.t.workspaces).where({ organization_id: organizationId, workspace_id: id }).first();
    return row ? fromRow(row) : undefined;
  }

  /** How many of the connector's users are in each workspace, and for how many it is the primary one (one grouped count). */
  async counts(connectorId: string): Promise<
    Map<
      string,
      {
        /** The connector's users in the workspace. */
        users: number;
        /** Those for whom it is the primary one. */
        primary: number;
      }
    >
  > {
    const rows = await this.sql.all(
      `SELECT workspace_id, COUNT(*) AS users, SUM(CASE WHEN is_primary THEN 1 ELSE 0 END) AS prim FROM ${this.t.userWorkspaces} WHERE connector_id = ? GROUP BY workspace_id`,
      [connectorId],
    );
    return new Map(rows.map((r) => [String(r.workspace_id), { users: Number(r.users), primary: Number(r.prim ?? 0) }]));
  }

  /** Deletes the workspace; its users' rows are the caller's to re-decide (then `forget` drops what is left). */
  async remove(organizationId: string, id: string): Promise<boolean> {
    return (await this.db(this.t.workspaces).where({ organization_id: organizationId, workspace_id: id }).delete()) > 0;
  }

  /** Users of the organization's connectors recorded in this workspace, by connector. */
  async usersIn(organizationId: string, id: string): Promise<Map<string, string[]>> {
    const rows = await this.sql.all(
      `SELECT uw.connector_id, uw.user_id FROM ${this.t.userWorkspaces} uw JOIN ${this.t.connectors} c ON c.id = uw.connector_id WHERE c.organization_id = ? AND uw.workspace_id = ?`,
      [organizationId, id],
    );
    const out = new Map<string, string[]>();
    for (const r of rows)
      out.set(String(r.connector_id), [...(out.get(String(r.connector_id)) ?? []), String(r.user_id)]);
    return out;
  }

  /** Drops the rows of a workspace that no longer exists (connectors whose mapping is off keep none of it either). */
  async forget(organizationId: string, id: string): Promise<void> {
    await this.sql.run(
      `DELETE FROM ${this.t.userWorkspaces} WHERE workspace_id = ? AND connector_id IN (SELECT id FROM ${this.t.connectors} WHERE organization_id = ?)`,
      [id, organizationId],
    );
  }

  /** The registered `preferred` workspace, else the organization's first registered one; null when it has none. */
  async fallback(organizationId: string, preferred: string | null): Promise<string | null> {
    const [row] = await this.sql.all(
      `SELECT workspace_id FROM ${this.t.workspaces} WHERE organization_id = ? ORDER BY CASE WHEN workspace_id = ? THEN 0 ELSE 1 END, created_at, workspace_id LIMIT 1`,
      [organizationId, preferred ?? ''],
    );
    return row ? String(row.workspace_id) : null;
  }

  /** A user's recorded workspaces (none: not a user of the connector, or never decided). */
  async forUser(connectorId: string, userId: string): Promise<UserWorkspaces> {
    return (await this.current(connectorId, [userId])).get(userId) ?? EMPTY;
  }

  /**
   * The recorded workspaces of those of these ids that are users of the connector (ids of anyone
   * else are left out, so a decision never writes rows for them): one statement a chunk. Locks the
   * users' rows on MariaDB, so that two decisions for one user run one after the other.
   */
  async current(connectorId: string, userIds: string[]): Promise<Map<string, UserWorkspaces>> {
    const out = new Map<string, UserWorkspaces>();
    for (const chunk of chunks([...new Set(userIds)].filter(isResourceId))) {
      const rows = await this.sql.all(
        `SELECT u.id, uw.workspace_id, uw.is_primary FROM ${this.t.users} u LEFT JOIN ${this.t.userWorkspaces} uw ON uw.user_id = u.id WHERE u.connector_id = ? AND u.id IN (${chunk.map(() => '?').join(', ')}) ORDER BY u.id, uw.workspace_id${this.ctx.idioms.forUpdateOf('u')}`,
        [connectorId, ...chunk],
        'varying',
      );
      for (const r of rows) {
        const id = String(r.id);
        const entry = out.get(id) ?? { primary: null, workspaces: [] };
        if (r.workspace_id !== null) {
          const workspace = r.workspace_id as string; // a varchar column
          entry.workspaces.push(workspace);
          if (toBool(r.is_primary)) entry.primary = workspace;
        }
        out.set(id, entry);
      }
    }
    return out;
  }

  /**
   * The registered workspaces these users map to, each with the rank of the rule that mapped it:
   * the attribute's value (through `values`, or as a workspace id) and the mapped groups they are
   * members of. One statement for each kind a chunk of users; none when the plan maps nothing.
   * On MariaDB they are locking reads, like `current`: they see what a concurrent membership
   * change committed while this transaction waited, not its snapshot, so the last decision made
   * for a user is made from the latest memberships (PostgreSQL's statements read the latest
   * commits anyway: dialect.ts countAfterLock).
   *
   * @internal The workspace decision's (policy/workspaces.ts), not the host's.
   */
  async candidates(connectorId: string, plan: CandidatePlan, userIds: string[]): Promise<Candidate[]> {
    const out: Candidate[] = [];
    const registered = `JOIN ${this.t.workspaces} w ON w.organization_id = ? AND w.workspace_id =`;
    for (const chunk of chunks(userIds)) {
      const ids = chunk.map(() => '?').join(', ');
      const queries: Array<[string, Param[]]> = [];
      if (plan.attribute) {
        // A single-valued extension attribute has no rows (project-user.ts): read it from the stored
        // document of each of these users, matched to `values` in any letter case.
        const mapped = plan.values.length > 0;
        const workspace = mapped ? 'COALESCE(m.w, e.value)' : 'e.value';
        queries.push([
          `SELECT e.user_id, w.workspace_id, 0 AS rnk FROM (SELECT u.id AS user_id, ${this.attributeText('u')} AS value FROM ${this.t.users} u` +
            ` WHERE u.connector_id = ? AND u.id IN (${ids})) e` +
            (mapped ? ` LEFT JOIN (${derived(plan.values.length, ['k', 'w'])}) m ON m.k = LOWER(e.value)` : '') +
            ` ${registered} ${workspace}` +
            ` WHERE e.value IS NOT NULL${this.lock}`,
          [
            attributePath(plan.attribute),
            connectorId,
            ...chunk,
            ...plan.values.flatMap(([value, w]) => [normalizeKey(value), w]),
            plan.organizationId,
          ],
        ]);
      }
      if (plan.groups.length) {
        queries.push([
          `SELECT gm.user_id, w.workspace_id, m.r AS rnk FROM ${this.t.groupMembers} gm JOIN ${this.t.groups} g ON g.id = gm.group_id` +
            ` JOIN (${derived(plan.groups.length, ['k', 'w', 'r'])}) m ON (m.k = g.id OR m.k = g.external_id)` +
            ` ${registered} m.w` +
            ` WHERE g.connector_id = ? AND gm.user_id IN (${ids})${this.lock}`,
          [...plan.groups.flatMap(([group, w], i) => [group, w, i + 1]), plan.organizationId, connectorId, ...chunk],
        ]);
      }
      for (const [sql, params] of queries) {
        for (const r of await this.sql.all(sql, params, 'varying'))
          out.push({ userId: String(r.user_id), workspaceId: String(r.workspace_id), rank: Number(r.rnk) });
      }
    }
    return out;
  }

  /**
   * Locks these users' rows on MariaDB before a membership change touches them, so that every
   * decision takes the user row before the membership rows and two of them cannot deadlock
   * (SQLite runs one writer at a time: nothing to do, no statement).
   */
  async lockUsers(connectorId: string, userIds: string[]): Promise<void> {
    if (!this.ctx.idioms.rowLocks) return;
    for (const chunk of chunks([...new Set(userIds)].filter(isResourceId).sort())) {
      await this.sql.all(
        `SELECT id FROM ${this.t.users} WHERE connector_id = ? AND id IN (${chunk.map(() => '?').join(', ')}) ORDER BY id FOR UPDATE`,
        [connectorId, ...chunk],
        'varying',
      );
    }
  }

  /** The mapped attribute's value in a user's stored document as text; one `?` for its JSON path. */
  private attributeText(alias: string): string {
    return this.ctx.idioms.jsonText(`${alias}.document`, false);
  }

  /** A read that sees the latest commits: locking on MariaDB (SQLite runs one writer at a time). */
  private get lock(): string {
    return this.ctx.idioms.countAfterLock;
  }

  /** Users of the connector with no workspace recorded (a workspace registered now may place them). */
  async usersWithoutWorkspace(connectorId: string): Promise<string[]> {
    const rows = await this.sql.all(
      `SELECT u.id FROM ${this.t.users} u WHERE u.connector_id = ? AND NOT EXISTS (SELECT 1 FROM ${this.t.userWorkspaces} uw WHERE uw.user_id = u.id)`,
      [connectorId],
    );
    return rows.map((r) => String(r.id));
  }

  /**
   * Users of the connector the plan maps to this workspace (its attribute value or a mapped group),
   * whatever their current workspaces: who a workspace registered now may move.
   *
   * @internal The workspace decision's (policy/workspaces.ts), not the host's.
   */
  async usersMappedTo(connectorId: string, plan: CandidatePlan, workspaceId: string): Promise<string[]> {
    const ids = new Set<string>();
    const values = [workspaceId, ...plan.values.filter(([, w]) => w === workspaceId).map(([v]) => v)].map((v) =>
      normalizeKey(v),
    );
    if (plan.attribute) {
      for (const chunk of chunks(values)) {
        const rows = await this.sql.all(
          `SELECT u.id FROM ${this.t.users} u WHERE u.connector_id = ? AND LOWER(${this.attributeText('u')}) IN (${chunk.map(() => '?').join(', ')})`,
          [connectorId, attributePath(plan.attribute), ...chunk],
          'varying',
        );
        for (const r of rows) ids.add(String(r.id));
      }
    }
    const groups = plan.groups.filter(([, w]) => w === workspaceId).map(([g]) => g);
    for (const chunk of chunks(groups)) {
      const rows = await this.db(`${this.t.groupMembers} as gm`)
        .join(`${this.t.groups} as g`, 'g.id', 'gm.group_id')
        .select('gm.user_id')
        .where('g.connector_id', connectorId)
        .andWhere((q) => {
          void q.whereIn('g.id', chunk).orWhereIn('g.external_id', chunk);
        });
      for (const r of rows as Row[]) ids.add(String(r.user_id));
    }
    return [...ids];
  }

  /** Ids of all the connector's users, oldest first (a full re-decision walks them in chunks). */
  async userIds(connectorId: string): Promise<string[]> {
    return (
      await this.db(this.t.users)
        .select('id')
        .where('connector_id', connectorId)
        .orderBy([{ column: 'created_at' }, { column: 'id' }])
    ).map((r: Row) => String(r.id));
  }

  /**
   * Writes the changed users' decided workspaces (their rows replaced: one DELETE and a
   * multi-row INSERT per 200 rows, a chunk of 500 users) and raises `user.workspaces-changed` for each, after commit.
   */
  async apply(connectorId: string, changes: WorkspaceChange[]): Promise<void> {
    const now = Date.now();
    for (const chunk of chunks(changes)) {
      // Users with no rows yet (a new user) need no DELETE.
      const recorded = chunk.filter((c) => c.before.workspaces.length).map((c) => c.userId);
      if (recorded.length)
        await this.sql.run(
          `DELETE FROM ${this.t.userWorkspaces} WHERE connector_id = ? AND user_id IN (${recorded.map(() => '?').join(', ')})`,
          [connectorId, ...recorded],
          'varying',
        );
      const rows: Param[][] = chunk.flatMap((c) =>
        c.after.workspaces.map((w) => [c.userId, connectorId, w, w === c.after.primary, now]),
      );
      // SQLite caps a statement's terms: multi-row inserts go 200 rows at a time.
      for (const part of chunks(rows, 200)) {
        await this.sql.run(
          `INSERT INTO ${this.t.userWorkspaces} (user_id, connector_id, workspace_id, is_primary, created_at) VALUES ${valueGroups(part.length, 5)}`,
          part.flat(),
          'varying',
        );
      }
    }
    for (const c of changes)
      this.events.emit('user.workspaces-changed', { connectorId, userId: c.userId, before: c.before, after: c.after });
  }
}

/** `SELECT ? AS a, ? AS b UNION ALL SELECT ?, ? …`: a mapping as a derived table, on both databases. */
function derived(rows: number, columns: string[]): string {
  const first = `SELECT ${columns.map((c) => `? AS ${c}`).join(', ')}`;
  const rest = Array.from({ length: rows - 1 }, () => `SELECT ${columns.map(() => '?').join(', ')}`);
  return [first, ...rest].join(' UNION ALL ');
}

/** `$."urn…"."attr"`: the attribute's place in the stored document (URNs hold dots and colons, so each name is quoted). */
function attributePath(attribute: { schemaUrn: string; attrPath: string }): string {
  return `$."${attribute.schemaUrn}"${attribute.attrPath
    .split('.')
    .map((name) => `."${name}"`)
    .join('')}`;
}
