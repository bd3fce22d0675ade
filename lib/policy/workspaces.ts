import { USER_REGISTRY } from '../model/schemas/registry.js';
import { isWorkspaceId } from '../model/settings.js';
import type { Connector, StoredGroup, UserWorkspaces, Workspace, WorkspaceMapping } from '../model/types.js';
import { chunks } from '../store/context.js';
import { InvalidInput, NotFound } from '../model/errors.js';
import type { MembershipOutcome } from '../store/groups.js';
import type { IdentityStore } from '../store/index.js';
import type { Candidate, CandidatePlan, WorkspaceChange } from '../store/workspaces.js';
import type { AuditContext, AuditRecord, AuditWriter } from './audit.js';

export type { WorkspaceChange };

/** Users named in an audit entry about a change to many (the count is always whole). */
const USERS_NAMED = 20;

/** The mapping in the store's terms: the attribute split into its schema and name, the maps as ordered pairs. */
function planOf(organizationId: string, mapping: WorkspaceMapping): CandidatePlan {
  const resolved = mapping.attribute ? USER_REGISTRY.resolve(mapping.attribute) : undefined;
  return {
    organizationId,
    attribute: resolved ? { schemaUrn: resolved.schema.id, attrPath: resolved.attribute.name } : null,
    values: Object.entries(mapping.values),
    groups: Object.entries(mapping.groups),
  };
}

/**
 * The decision for one user from the candidates the store found (registered workspaces only):
 * the lowest rank is primary (the attribute is rank 0, then groups in the order listed; ties by
 * id), else the fallback. `all` keeps every candidate. `primary` maintains the primary only:
 * the former primary is left when it changes, while the user's other workspaces (from a time the
 * connector synced to all) stay — Systam: "If you later change the setting to Primary
 * workspaces, hosts are not removed automatically from other workspaces."
 */
export function decideWorkspaces(
  candidates: Candidate[],
  fallback: string | null,
  sync: WorkspaceMapping['sync'],
  before: UserWorkspaces = NONE,
): UserWorkspaces {
  const ordered = [...candidates].sort(
    (a, b) => a.rank - b.rank || (a.workspaceId < b.workspaceId ? -1 : a.workspaceId > b.workspaceId ? 1 : 0),
  );
  const primary = ordered[0]?.workspaceId ?? fallback;
  const kept = sync === 'primary' ? before.workspaces.filter((w) => w !== before.primary) : [];
  if (primary === null) return { primary: null, workspaces: [...kept].sort() };
  const set = new Set(sync === 'all' ? [primary, ...ordered.map((c) => c.workspaceId)] : [primary, ...kept]);
  return { primary, workspaces: [...set].sort() };
}

const NONE: UserWorkspaces = { primary: null, workspaces: [] };

const same = (a: UserWorkspaces, b: UserWorkspaces) =>
  a.primary === b.primary && a.workspaces.join('\n') === b.workspaces.join('\n');

/** What a user's own log entry says: the primary's old → new, the workspaces added and removed. */
export function userWorkspacesDetail(changes: WorkspaceChange[]): Record<string, unknown> {
  const [change] = changes;
  if (!change) return {};
  const { before, after } = change;
  return {
    workspaces: {
      ...(before.primary !== after.primary ? { primary: { from: before.primary, to: after.primary } } : {}),
      added: after.workspaces.filter((w) => !before.workspaces.includes(w)),
      removed: before.workspaces.filter((w) => !after.workspaces.includes(w)),
    },
  };
}

/** What a change to many users says (a group's membership, a workspace registered): how many, and the first few. */
export function workspaceUsersDetail(changes: WorkspaceChange[]): Record<string, unknown> {
  return changes.length
    ? { workspaces: { usersChanged: changes.length, users: changes.slice(0, USERS_NAMED).map((c) => c.userId) } }
    : {};
}

/** The workspace a group maps to (by its id or by Entra's object id, its externalId). */
function groupWorkspace(mapping: WorkspaceMapping, group: Pick<StoredGroup, 'id' | 'externalId'>): string | undefined {
  return (
    (Object.hasOwn(mapping.groups, group.id) ? mapping.groups[group.id] : undefined) ??
    (group.externalId !== null && Object.hasOwn(mapping.groups, group.externalId)
      ? mapping.groups[group.externalId]
      : undefined)
  );
}

const union = (...lists: string[][]) => [...new Set(lists.flat())];

/**
 * Systam's primary workspace, decided here once: on every user write (the user-write path calls
 * `redecide` in its transaction), on every membership change of a mapped group (`groupWrite`,
 * `groupDelete`), and when the host registers or removes a workspace. A decision is set-based:
 * the store reads the candidates of all affected users in one statement a chunk and writes the
 * changed users' rows in one DELETE and one INSERT a chunk; `user.workspaces-changed` reaches
 * listeners after commit, and the caller's audit row names the change.
 *
 * Nothing maps and no fallback is registered: the user gets the organization's first registered
 * workspace; when it has none, the write still succeeds (Entra must never get a 4xx for a valid
 * request) and the user has none until the host registers one, which places them.
 */
export class WorkspacePolicy {
  constructor(private readonly audit: AuditWriter) {}

  /** Re-decides these users of the connector; `known` holds what the caller knows is recorded (a new user: nothing). */
  async redecide(
    tx: IdentityStore,
    connector: Connector,
    userIds: string[],
    known?: Map<string, UserWorkspaces>,
  ): Promise<WorkspaceChange[]> {
    const mapping = connector.settings.workspaces;
    if (!mapping || !userIds.length) return [];
    const changes: WorkspaceChange[] = [];
    // Read once, and only when some user has no candidate.
    let fallback: string | null | undefined;
    for (const chunk of chunks([...new Set(userIds)])) {
      const current = known ?? (await tx.workspaces.current(connector.id, chunk));
      const users = chunk.filter((id) => current.has(id));
      const byUser = new Map<string, Candidate[]>();
      for (const c of await tx.workspaces.candidates(connector.id, planOf(connector.organizationId, mapping), users))
        byUser.set(c.userId, [...(byUser.get(c.userId) ?? []), c]);
      if (fallback === undefined && users.some((id) => !byUser.has(id)))
        fallback = await tx.workspaces.fallback(connector.organizationId, mapping.fallback);
      for (const id of users) {
        const before = current.get(id)!;
        const after = decideWorkspaces(byUser.get(id) ?? [], fallback ?? null, mapping.sync, before);
        if (!same(before, after)) changes.push({ userId: id, before, after });
      }
    }
    await tx.workspaces.apply(connector.id, changes);
    return changes;
  }

  /**
   * A group write (create, replace, PATCH) inside the caller's transaction. When the group maps to
   * a workspace, the users whose membership changed are re-decided: the added and removed ones,
   * or, when the whole membership was replaced, everyone who was a member before (read only
   * then). `change.replacesMembers`: the change may remove all members (PUT, `remove members`);
   * `change.userIds`: the users it names, locked first so decisions cannot deadlock.
   */
  async groupWrite<R extends { group: StoredGroup; outcome: MembershipOutcome }>(
    tx: IdentityStore,
    connector: Connector,
    before: StoredGroup | undefined,
    change: { replacesMembers: boolean; userIds: string[] },
    write: () => Promise<R>,
  ): Promise<R & { workspaces: WorkspaceChange[] }> {
    const mapping = connector.settings.workspaces;
    if (!mapping) return { ...(await write()), workspaces: [] };
    const was = before ? groupWorkspace(mapping, before) : undefined;
    const membersBefore =
      before && was !== undefined && change.replacesMembers ? await tx.groups.memberIds(before.id) : [];
    if (was !== undefined) await tx.workspaces.lockUsers(connector.id, [...change.userIds, ...membersBefore]);
    const result = await write();
    const now = groupWorkspace(mapping, result.group);
    if (was === undefined && now === undefined) return { ...result, workspaces: [] };
    const { added, removed } = result.outcome;
    const touched = union(added, removed === 'all' ? membersBefore : removed);
    // The group's own mapping changed (a new externalId): every member's decision may change.
    const affected = was === now ? touched : union(touched, await tx.groups.memberIds(result.group.id));
    return { ...result, workspaces: await this.redecide(tx, connector, affected) };
  }

  /** Deletes a group in the caller's transaction; a mapped group's former members are re-decided. */
  async groupDelete(
    tx: IdentityStore,
    connector: Connector,
    group: StoredGroup,
  ): Promise<{ deleted: boolean; workspaces: WorkspaceChange[] }> {
    const mapping = connector.settings.workspaces;
    const members = mapping && groupWorkspace(mapping, group) !== undefined ? await tx.groups.memberIds(group.id) : [];
    const deleted = await tx.groups.delete(connector.id, group.id);
    return { deleted, workspaces: deleted ? await this.redecide(tx, connector, members) : [] };
  }

  /**
   * Registers (or renames) a workspace of an organization. A new one may place users at once: those
   * with no workspace yet, those mapped to it, and, when it is a connector's fallback, everyone.
   * One audit row per connector of the organization, in the same transaction.
   */
  async register(
    organizationId: string,
    input: { id: string; name?: string | null },
    context: AuditContext,
  ): Promise<Workspace> {
    if (!isWorkspaceId(input.id))
      throw new InvalidInput('invalidValue', 'a workspace id is 1–191 characters without surrounding spaces', {
        field: 'id',
      });
    const name = (input.name ?? '').trim() || input.id;
    if (name.length > 255)
      throw new InvalidInput('invalidValue', 'a workspace name is at most 255 characters', { field: 'name' });
    return this.organizationChange(organizationId, context, 'workspace.register', input.id, async (tx, connectors) => {
      const { workspace, created } = await tx.workspaces.register(organizationId, input.id, name);
      const changes = new Map<string, WorkspaceChange[]>();
      for (const connector of created ? connectors : []) {
        const mapping = connector.settings.workspaces;
        if (!mapping) continue;
        const users =
          mapping.fallback === workspace.id
            ? await tx.workspaces.userIds(connector.id)
            : union(
                await tx.workspaces.usersWithoutWorkspace(connector.id),
                await tx.workspaces.usersMappedTo(connector.id, planOf(organizationId, mapping), workspace.id),
              );
        changes.set(connector.id, await this.redecide(tx, connector, users));
      }
      return { value: workspace, detail: { name: workspace.name, created }, changes };
    });
  }

  /** Removes a workspace: its users are re-decided (another workspace, the fallback), then nothing refers to it. */
  async remove(organizationId: string, id: string, context: AuditContext): Promise<boolean> {
    return this.organizationChange(organizationId, context, 'workspace.remove', id, async (tx, connectors) => {
      const users = await tx.workspaces.usersIn(organizationId, id);
      if (!(await tx.workspaces.remove(organizationId, id))) throw new NotFound(`workspace ${id} not found`);
      const changes = new Map<string, WorkspaceChange[]>();
      for (const connector of connectors)
        changes.set(connector.id, await this.redecide(tx, connector, users.get(connector.id) ?? []));
      await tx.workspaces.forget(organizationId, id);
      return { value: true, detail: {}, changes };
    });
  }

  /** Re-decides every user of the connector (after its mapping changed: the guide re-decides nobody by itself). */
  async resync(connector: Connector, context: AuditContext): Promise<number> {
    return this.audit.change(context, async (tx) => {
      const changes = await this.redecide(tx, connector, await tx.workspaces.userIds(connector.id));
      return {
        value: changes.length,
        record: {
          connectorId: connector.id,
          operation: 'workspace.resync',
          resourceType: 'Connector',
          resourceId: connector.id,
          detail: { usersChanged: changes.length, ...workspaceUsersDetail(changes) },
        },
      };
    });
  }

  /** An organization-wide change in one transaction, with an audit row for each of the organization's connectors (their logs show it). */
  private organizationChange<T>(
    organizationId: string,
    context: AuditContext,
    operation: string,
    workspaceId: string,
    fn: (
      tx: IdentityStore,
      connectors: Connector[],
    ) => Promise<{ value: T; detail: Record<string, unknown>; changes: Map<string, WorkspaceChange[]> }>,
  ): Promise<T> {
    return this.audit.change(context, async (tx) => {
      const connectors = await tx.connectors.list({ organizationId });
      const { value, detail, changes } = await fn(tx, connectors);
      const record = (connectorId: string | null): AuditRecord => ({
        connectorId,
        operation,
        resourceType: 'Workspace',
        resourceId: workspaceId.slice(0, 36),
        detail: {
          organizationId,
          workspace: workspaceId,
          ...detail,
          ...workspaceUsersDetail(connectorId ? (changes.get(connectorId) ?? []) : []),
        },
      });
      for (const c of connectors.slice(1)) await this.audit.inside(tx, context, record(c.id));
      return { value, record: record(connectors[0]?.id ?? null) };
    });
  }
}
