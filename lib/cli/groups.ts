import type { Connector, StoredGroup } from '../model/types.js';
import { AuditWriter } from '../policy/audit.js';
import { PlatformGroups } from '../policy/platform-groups.js';
import { WorkspacePolicy } from '../policy/workspaces.js';
import { defaultLogger } from '../runtime/log.js';
import type { IdentityStore } from '../store/index.js';

/** The CLI's writes of the platform's own groups are audited with actor `cli`. */
const CLI = { actor: 'cli' };

/**
 * `group create | rename | delete`: the platform's own groups of a connector (IFS Ultimo's
 * default group), through the same policy module as the admin page (policy/platform-groups.ts).
 */
export async function groupCommand(store: IdentityStore, connectorId: string,
  action: { create: string } | { rename: string; to: string } | { delete: string }): Promise<{ connector: Connector; group?: StoredGroup }> {
  const connector = await store.connectors.require(connectorId);
  const audit = new AuditWriter(store, defaultLogger());
  const groups = new PlatformGroups(audit, new WorkspacePolicy(audit));
  if ('create' in action) return { connector, group: await groups.create(connector, action.create, CLI) };
  if ('rename' in action) return { connector, group: await groups.rename(connector, action.rename, action.to, CLI) };
  await groups.delete(connector, action.delete, CLI);
  return { connector };
}
