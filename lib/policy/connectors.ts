import { InvalidInput, PolicyRefusal } from '../model/errors.js';
import type { Connector } from '../model/types.js';
import { isStoreError } from '../store/errors.js';
import type { AuditContext, AuditRecord, AuditWriter } from './audit.js';

/** The longest organization id and connector name (an indexed column of 191 characters). */
export const MAX_NAME_LENGTH = 191;

/** A required one-line text (organization id, connector name), trimmed; undefined when missing or malformed. */
function oneLine(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : '';
  return text && text.length <= MAX_NAME_LENGTH && !/[\u0000-\u001f\u007f]/.test(text) ? text : undefined;
}

/** What a new connector is made of: its organization, a name unique in it, a preset and/or settings. */
export interface ConnectorInput {
  organizationId: unknown;
  name: unknown;
  /** The name of a preset of model/presets.ts (one setup guide's settings). */
  preset?: string;
  /** Settings over the preset's (validated as `PUT …/settings` validates them). */
  settings?: unknown;
}

const connectorRecord = (
  connector: Pick<Connector, 'id'>,
  operation: string,
  detail: Record<string, unknown>,
): AuditRecord => ({
  connectorId: connector.id,
  operation,
  resourceType: 'Connector',
  resourceId: connector.id,
  detail,
});

/**
 * The one path of every connector write: creation (admin API, CLI), settings, the default group
 * and resuming the deprovisioning the guard paused. Each validates once, commits with its audit
 * row, and throws only the error family (settings errors are InvalidInput `invalid_settings`).
 */
export class ConnectorWrites {
  constructor(private readonly audit: AuditWriter) {}

  /** A connector in an organization, from a preset and/or settings; a taken name is a Conflict on `name`. */
  create(input: ConnectorInput, context: AuditContext): Promise<Connector> {
    const organizationId = oneLine(input.organizationId);
    if (!organizationId)
      throw new InvalidInput(
        'invalidValue',
        `organizationId must be the organization's id (at most ${MAX_NAME_LENGTH} characters)`,
        { field: 'organizationId' },
      );
    const name = oneLine(input.name);
    if (!name)
      throw new InvalidInput(
        'invalidValue',
        `name must be a connector name of at most ${MAX_NAME_LENGTH} characters, e.g. "Entra ID"`,
        { field: 'name' },
      );
    const preset = input.preset || undefined;
    return this.audit.change(context, async (tx) => {
      const connector = await tx.connectors.create({
        organizationId,
        name,
        preset,
        settings: input.settings ?? undefined,
      });
      return {
        value: connector,
        record: connectorRecord(connector, 'connector.create', { organizationId, name, preset: preset ?? null }),
      };
    });
  }

  /** Changes some settings (a partial object); the log names the settings changed. */
  updateSettings(connector: Connector, patch: unknown, context: AuditContext): Promise<Connector> {
    return this.audit.change(context, async (tx) => {
      const updated = await tx.connectors.updateSettings(connector, patch);
      const changed = patch && typeof patch === 'object' ? Object.keys(patch) : [];
      return { value: updated, record: connectorRecord(connector, 'connector.settings', { changed }) };
    });
  }

  /** The group every new user of the connector joins (null: none); a group of another connector is refused. */
  async setDefaultGroup(connector: Connector, groupId: string | null, context: AuditContext): Promise<Connector> {
    try {
      return await this.audit.change(context, async (tx) => ({
        value: await tx.connectors.setDefaultGroup(connector.id, groupId),
        record: connectorRecord(connector, 'connector.default-group', { from: connector.defaultGroupId, to: groupId }),
      }));
    } catch (error) {
      if (isStoreError(error, 'invalid_reference'))
        throw new InvalidInput('invalidValue', error.message, { field: 'groupId' });
      throw error;
    }
  }

  /** An admin confirms the deprovisioning the guard held back; refused when nothing is paused. */
  resumeDeprovisioning(connector: Connector, context: AuditContext): Promise<Connector> {
    if (!connector.deprovisioningPausedAt)
      throw new PolicyRefusal('not_paused', 'deprovisioning of this connector is not paused');
    return this.audit.change(context, async (tx) => ({
      value: await tx.connectors.resumeDeprovisioning(connector.id),
      record: connectorRecord(connector, 'connector.deprovisioning-resumed', {
        pausedAt: connector.deprovisioningPausedAt?.toISOString() ?? null,
      }),
    }));
  }
}
