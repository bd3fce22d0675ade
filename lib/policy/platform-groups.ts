import { URN } from '../model/schemas/urns.js';
import { GROUP_REGISTRY } from '../model/schemas/registry.js';
import type { Connector, StoredGroup } from '../model/types.js';
import { normalizeResource } from '../model/validate/normalize.js';
import { StoreError } from '../store/errors.js';
import type { AuditContext, AuditWriter } from './audit.js';
import { workspaceUsersDetail, type WorkspacePolicy } from './workspaces.js';

/**
 * The platform's own groups of a connector, made by its admins rather than provisioned by Entra:
 * IFS Ultimo refuses groups over SCIM, yet "new users are added to a default group which can be
 * set in the application". The admin page, the admin API and the CLI create, rename and delete
 * them here; each write commits with its audit row (`group.create`, `group.rename`,
 * `group.delete`), and a group mapped to a workspace re-decides its members (workspaces.ts).
 * The connector's name prefix (Staffbase's `[SCIM] `) is for provisioned groups, so not added.
 */
export class PlatformGroups {
  constructor(private readonly audit: AuditWriter, private readonly workspaces: WorkspacePolicy) {}

  /** A new, empty group; its name is unique within the connector (409 `conflict` otherwise). */
  create(connector: Connector, displayName: string, context: AuditContext): Promise<StoredGroup> {
    const document = groupDocument(displayName);
    return this.audit.change(context, async (tx) => {
      const { group } = await tx.groups.create(connector.id, document);
      return { value: group, record: groupRecord(group, 'group.create', { displayName: group.displayName }) };
    });
  }

  /** Renames a group; its members and Entra's link (externalId) stay. */
  rename(connector: Connector, id: string, displayName: string, context: AuditContext): Promise<StoredGroup> {
    const { displayName: name } = groupDocument(displayName);
    return this.audit.change(context, async (tx) => {
      const current = await tx.groups.get(connector.id, id, { forUpdate: true });
      if (!current) throw new StoreError('not_found', `group ${id} not found`);
      const { group } = await tx.groups.update(connector.id, id, { document: { ...current.document, displayName: name }, expectedVersion: current.version });
      return { value: group, record: groupRecord(group, 'group.rename', { displayName: { from: current.displayName, to: group.displayName } }) };
    });
  }

  /** Deletes a group (a connector's default group is unset first); its members are re-decided where it mapped a workspace. */
  delete(connector: Connector, id: string, context: AuditContext): Promise<void> {
    return this.audit.change(context, async (tx) => {
      const current = await tx.groups.get(connector.id, id, { forUpdate: true });
      if (!current) throw new StoreError('not_found', `group ${id} not found`);
      const { workspaces } = await this.workspaces.groupDelete(tx, connector, current);
      return { value: undefined, record: groupRecord(current, 'group.delete', { displayName: current.displayName, ...workspaceUsersDetail(workspaces) }) };
    });
  }
}

/** A group body validated as SCIM's would be (displayName required, at most the column's length). */
function groupDocument(displayName: string) {
  const document = normalizeResource(GROUP_REGISTRY, { schemas: [URN.group], displayName: displayName.trim() }, { mode: 'create', allowExtensionPassthrough: false, acceptPassword: false });
  return document as { schemas: string[]; displayName: string };
}

const groupRecord = (group: Pick<StoredGroup, 'id' | 'connectorId'>, operation: string, detail: Record<string, unknown>) => ({
  connectorId: group.connectorId, operation, resourceType: 'Group', resourceId: group.id, detail,
});
