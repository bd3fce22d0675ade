import type { ConnectorSettings } from './types.js';

/**
 * Named settings bundles, one per platform guide the product serves (README, "guides"): a
 * connector created from a preset behaves as that guide describes. Configuration, not code —
 * a preset is only settings; what the host must still do (a default group, protected users,
 * OIDC) is said in `hostSteps`.
 */
export interface Preset {
  /** The platform as the README names it. */
  platform: string;
  settings: Partial<ConnectorSettings>;
  /** What a preset cannot set, because it names the host's own data. */
  hostSteps: string[];
}

export const PRESETS: Record<string, Preset> = {
  systam: {
    platform: 'Systam',
    settings: {
      // Disabled or removed in Entra = deleted in Systam; no soft delete.
      deleteMode: 'delete',
      onDeactivate: 'delete',
      matchOnCreate: 'email',
      extensions: ['primaryWorkspace'],
      requiredAttributes: ['emails'],
      allowedValues: { 'emails.type': ['work', 'other'], 'phoneNumbers.type': ['work', 'other'] },
      // Step 6: the primaryWorkspace attribute first, then groups, then the fallback; the mappings name the host's workspaces.
      workspaces: { attribute: 'urn:ietf:params:scim:schemas:extension:systam:2.0:User:primaryWorkspace', values: {}, groups: {}, fallback: null, sync: 'primary' },
    },
    hostSteps: [
      'mark Organization Owners protected (403 to Entra)',
      'register the organization\'s workspaces (identity.workspaces.register) and map attribute values and groups to them (settings.workspaces)',
    ],
  },
  staffbase: {
    platform: 'Staffbase',
    settings: {
      matchOnCreate: 'externalId',
      // The guide's mapping sends the UPN as externalId (matching precedence 1) and no userName.
      userNameFallback: 'externalId',
      // department and manager
      extensions: ['enterprise'],
      createOnlyAttributes: ['locale'],
      groupsEnabled: true,
      groupDisplayNamePrefix: '[SCIM] ',
      deleteMode: 'delete',
    },
    hostSteps: [],
  },
  'ifs-ultimo': {
    platform: 'IFS Ultimo',
    // employeeNumber, department, organization
    settings: { groupsEnabled: false, userNameImmutable: true, extensions: ['enterprise'] },
    hostSteps: ['choose the default group new users join'],
  },
  'andmoney-bookme': {
    platform: '&Money BookMe',
    settings: { groupsEnabled: false, extensions: [] },
    hostSteps: ['create one connector per resource kind (advisors, rooms), each with its own token'],
  },
  'modelled-platform': {
    platform: 'the modelled platform',
    settings: {
      groupsEnabled: true,
      // "Deactivating the user … will deactivate the user on our platform."
      deleteMode: 'deactivate',
      extensions: ['enterprise', 'folders', 'metadata'],
      requiredAttributes: ['name.givenName', 'name.familyName', 'emails'],
      // "Email (this must be unique per user since it is used as our username)".
      uniqueEmail: true,
      allowedValues: { userType: ['Premium', 'Standard'] },
      roleMap: { ReadOnly: 'ReadOnly', User: 'User', Admin: 'Admin', EnterpriseAdmin: 'EnterpriseAdmin' },
    },
    hostSteps: ['configure OpenID Connect (client id, tenant, client secret)'],
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);

export function presetNamed(name: string): Preset | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}
