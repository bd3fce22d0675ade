import { InvalidInput, NotFound, PreconditionFailed } from '../model/errors.js';
import { URN } from '../model/schemas/urns.js';
import { GROUP_REGISTRY } from '../model/schemas/registry.js';
import { documentRules } from '../model/settings.js';
import type {
  Connector,
  ConnectorSettings,
  MemberInput,
  MembershipChange,
  ResourceDocument,
  StoredGroup,
} from '../model/types.js';
import { normalizeResource } from '../model/validate/normalize.js';
import type { MembershipOutcome } from '../store/groups.js';
import type { IdentityStore } from '../store/index.js';
import { changedAttributes, type AuditContext, type AuditRecord, type AuditWriter } from './audit.js';
import { workspaceUsersDetail, type WorkspacePolicy } from './workspaces.js';

/** What a group write needs read back for its answer. */
export interface GroupWriteOptions {
  /** If-Match's version: the write is refused (412) when the group has another. */
  expectedVersion?: number;
  /** Whether the answer needs the members (Entra sends excludedAttributes=members). */
  withMembers?: boolean;
}

/** A PATCH computed from the locked current document: the new document (undefined when unchanged) and the membership steps. */
export interface GroupChange {
  /** The group's new document; undefined when only the membership changes. */
  document?: ResourceDocument;
  /** The membership steps, applied in order in the same transaction. */
  membership: MembershipChange[];
}

/** The connector's group name prefix (Staffbase: `[SCIM] `), added once: a name that has it keeps it. */
export function withPrefix(name: string, prefix: string): string {
  return prefix && !name.startsWith(prefix) ? prefix + name : name;
}

/** A group document as stored: its displayName carries the connector's prefix. */
function stored(document: ResourceDocument, settings: ConnectorSettings): ResourceDocument {
  return { ...document, displayName: withPrefix(String(document.displayName), settings.groupDisplayNamePrefix) };
}

const MAX_GROUP_NAME = 255;

/**
 * A group name an admin typed (the admin page, API and CLI make the platform's own groups, e.g.
 * IFS Ultimo's default group while Entra's groups are refused): one line of 1–255 characters.
 */
function adminGroupName(displayName: unknown): string {
  const name = typeof displayName === 'string' ? displayName.trim() : '';
  if (!name || name.length > MAX_GROUP_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidInput('invalidValue', `displayName must be a group name of 1 to ${MAX_GROUP_NAME} characters`, {
      field: 'displayName',
    });
  }
  return name;
}

/** The body `GroupWrites.create` takes for a group an admin names. */
export function platformGroupBody(displayName: unknown): ResourceDocument {
  return { schemas: [URN.group], displayName: adminGroupName(displayName) };
}

/** The change `GroupWrites.patch` takes to rename a group: its members and Entra's link (externalId) stay. */
export function renameGroup(displayName: unknown): (current: StoredGroup) => GroupChange {
  const name = adminGroupName(displayName);
  return (current) => ({ document: { ...current.document, displayName: name }, membership: [] });
}

/** Members leave the document: they live in group_members, written set-based. */
function splitMembers(
  document: ResourceDocument,
  settings: ConnectorSettings,
): { document: ResourceDocument; members: MemberInput[] } {
  const { members, ...rest } = document;
  const list = Array.isArray(members) ? members : [];
  return {
    document: stored(rest, settings),
    members: list.map((m) => ({
      value: String((m as { value: unknown }).value),
      display: (m as { display?: string }).display ?? null,
    })),
  };
}

/** Members named in a log entry (the admin page shows their names); the counts are always whole. */
const MEMBERS_NAMED = 20;

/** What a membership outcome says in the log: how many were added and removed, and the first few. */
function membershipDetail(outcome: MembershipOutcome): Record<string, unknown> {
  return {
    membersAdded: outcome.added.length,
    membersRemoved: outcome.removed === 'all' ? 'all' : outcome.removed.length,
    ...(outcome.added.length ? { added: outcome.added.slice(0, MEMBERS_NAMED) } : {}),
    ...(outcome.removed !== 'all' && outcome.removed.length
      ? { removed: outcome.removed.slice(0, MEMBERS_NAMED) }
      : {}),
  };
}

function groupRecord(
  group: Pick<StoredGroup, 'id' | 'connectorId' | 'displayName'>,
  operation: string,
  detail: Record<string, unknown>,
): AuditRecord {
  return {
    connectorId: group.connectorId,
    operation,
    resourceType: 'Group',
    resourceId: group.id,
    detail: { displayName: group.displayName, ...detail },
  };
}

/** The users a membership change names (locked first, so workspace decisions cannot deadlock). */
function namedUsers(membership: MembershipChange[]): string[] {
  return membership.flatMap((step) =>
    step.op === 'remove' ? step.userIds : step.op === 'removeAll' ? [] : step.members.map((m) => m.value),
  );
}

/**
 * The one path of every group and membership write (SCIM's /Groups today; the host and the admin
 * API when they write groups). Each write normalises against the group schema, adds the
 * connector's name prefix, checks the version the client named, re-decides the workspaces of
 * the members it moves (Systam, workspaces.ts) and commits with its one audit row.
 */
export class GroupWrites {
  constructor(
    private readonly audit: AuditWriter,
    private readonly workspaces: WorkspacePolicy,
  ) {}

  /** POST: a new group from a client's resource body, with its members. */
  create(connector: Connector, body: unknown, context: AuditContext): Promise<StoredGroup> {
    const normalized = normalizeResource(GROUP_REGISTRY, body, {
      mode: 'create',
      ...documentRules(connector.settings),
    });
    const { document, members } = splitMembers(normalized, connector.settings);
    return this.audit.change(context, async (tx) => {
      const change = { replacesMembers: false, userIds: [] };
      const { group, outcome, workspaces } = await this.workspaces.groupWrite(tx, connector, undefined, change, () =>
        tx.groups.create(connector.id, document, members),
      );
      return {
        value: group,
        record: groupRecord(group, 'group.create', {
          ...membershipDetail(outcome),
          ...workspaceUsersDetail(workspaces),
        }),
      };
    });
  }

  /** PUT: the body replaces the document and the whole membership. */
  replace(
    connector: Connector,
    id: string,
    body: unknown,
    context: AuditContext,
    options: GroupWriteOptions = {},
  ): Promise<StoredGroup> {
    const normalized = normalizeResource(GROUP_REGISTRY, body, {
      mode: 'replace',
      ...documentRules(connector.settings),
    });
    const { document, members } = splitMembers(normalized, connector.settings);
    return this.audit.change(context, async (tx) => {
      // Read only when a workspace mapping needs the members before the change.
      const before = connector.settings.workspaces
        ? await tx.groups.get(connector.id, id, { forUpdate: true })
        : undefined;
      const change = { replacesMembers: true, userIds: members.map((m) => m.value) };
      const update = {
        document,
        membership: [{ op: 'replace' as const, members }],
        expectedVersion: options.expectedVersion,
      };
      const { group, outcome, workspaces } = await this.workspaces.groupWrite(tx, connector, before, change, () =>
        tx.groups.update(connector.id, id, update, { withMembers: options.withMembers }),
      );
      return {
        value: group,
        record: groupRecord(group, 'group.replace', {
          ...membershipDetail(outcome),
          ...workspaceUsersDetail(workspaces),
        }),
      };
    });
  }

  /**
   * PATCH: `change` computes the new document and membership steps from the locked current group
   * (the SCIM engine applies the operations). Nothing changes when it answers neither.
   */
  patch(
    connector: Connector,
    id: string,
    change: (current: StoredGroup) => GroupChange,
    context: AuditContext,
    options: GroupWriteOptions = {},
  ): Promise<StoredGroup> {
    const read = { withMembers: options.withMembers };
    return this.audit.change(context, async (tx) => {
      const current = await this.locked(tx, connector, id, options.expectedVersion, read);
      const result = change(current);
      if (!result.document && !result.membership.length)
        return { value: current, record: groupRecord(current, 'group.patch', { changed: [] }) };
      const document = result.document ? stored(result.document, connector.settings) : undefined;
      const replacesMembers = result.membership.some((step) => step.op === 'removeAll' || step.op === 'replace');
      const update = { document, membership: result.membership, expectedVersion: current.version };
      const { group, outcome, workspaces } = await this.workspaces.groupWrite(
        tx,
        connector,
        current,
        { replacesMembers, userIds: namedUsers(result.membership) },
        () => tx.groups.update(connector.id, id, update, read),
      );
      const changed = document ? changedAttributes(current.document, document) : [];
      return {
        value: group,
        record: groupRecord(group, 'group.patch', {
          changed,
          ...membershipDetail(outcome),
          ...workspaceUsersDetail(workspaces),
        }),
      };
    });
  }

  /** DELETE: the group goes; the members of a group mapped to a workspace are re-decided. */
  delete(connector: Connector, id: string, context: AuditContext, options: GroupWriteOptions = {}): Promise<void> {
    return this.audit.change(context, async (tx) => {
      const current = await this.locked(tx, connector, id, options.expectedVersion);
      const result = await this.workspaces.groupDelete(tx, connector, current);
      if (!result.deleted) throw new NotFound(`group ${id} not found`);
      return {
        value: undefined,
        record: groupRecord(current, 'group.delete', workspaceUsersDetail(result.workspaces)),
      };
    });
  }

  /** The group a write applies to, locked, at the version If-Match names. */
  private async locked(
    tx: IdentityStore,
    connector: Connector,
    id: string,
    expectedVersion: number | undefined,
    read: { withMembers?: boolean } = {},
  ): Promise<StoredGroup> {
    const current = await tx.groups.get(connector.id, id, { ...read, forUpdate: true });
    if (!current) throw new NotFound(`group ${id} not found`);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new PreconditionFailed(
        `group ${id} changed since version ${expectedVersion}; read it again`,
        current.version,
      );
    }
    return current;
  }
}
