import { USER_REGISTRY } from './schemas/registry.js';
import { isWebRole, WEB_ROLES, type ConnectorSettings, type WebRole } from './types.js';

export const DEFAULT_SETTINGS: ConnectorSettings = {
  groupsEnabled: true,
  groupDisplayNamePrefix: '',
  allowExtensionPassthrough: false,
  acceptPassword: false,
  roleMap: Object.fromEntries(WEB_ROLES.map((r) => [r, r])) as Record<string, WebRole>,
  deleteMode: 'delete',
  ssoMatchClaims: ['preferred_username', 'upn'],
  ssoJitProvisioning: false,
  newUserLoginMethod: 'auto',
  requiredAttributes: [],
  allowedValues: {},
  createOnlyAttributes: [],
  userNameImmutable: false,
};

const MATCH_CLAIMS = ['preferred_username', 'upn', 'email'] as const;

/**
 * Merges a partial settings object over the current one, refusing anything malformed with a
 * message that names the setting: settings come from admins and scripts.
 */
export function mergeSettings(current: ConnectorSettings, patch: unknown): ConnectorSettings {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new SettingsError('settings must be a JSON object');
  const next: ConnectorSettings = { ...current, roleMap: { ...current.roleMap }, ssoMatchClaims: [...current.ssoMatchClaims] };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    switch (key) {
      case 'groupsEnabled': case 'allowExtensionPassthrough': case 'acceptPassword': case 'ssoJitProvisioning': case 'userNameImmutable':
        if (typeof value !== 'boolean') throw new SettingsError(`${key} must be true or false`);
        next[key] = value;
        break;
      case 'groupDisplayNamePrefix':
        if (typeof value !== 'string' || value.length > 32) throw new SettingsError('groupDisplayNamePrefix must be a string of at most 32 characters');
        next.groupDisplayNamePrefix = value;
        break;
      case 'newUserLoginMethod':
        if (value !== 'auto' && value !== 'sso' && value !== 'builtin') throw new SettingsError('newUserLoginMethod must be "auto", "sso" or "builtin"');
        next.newUserLoginMethod = value;
        break;
      case 'deleteMode':
        if (value !== 'delete' && value !== 'deactivate') throw new SettingsError('deleteMode must be "delete" or "deactivate"');
        next.deleteMode = value;
        break;
      case 'roleMap': {
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SettingsError('roleMap must map Entra app-role values to web roles');
        const map: Record<string, WebRole> = {};
        for (const [from, to] of Object.entries(value as Record<string, unknown>)) {
          if (!isWebRole(to)) throw new SettingsError(`roleMap["${from}"] must be one of ${WEB_ROLES.join(', ')}`);
          map[from] = to;
        }
        next.roleMap = map;
        break;
      }
      case 'ssoMatchClaims':
        if (!Array.isArray(value) || !value.every((c) => (MATCH_CLAIMS as readonly string[]).includes(c))) {
          throw new SettingsError(`ssoMatchClaims must be a list of ${MATCH_CLAIMS.join(', ')}`);
        }
        next.ssoMatchClaims = value as ConnectorSettings['ssoMatchClaims'];
        break;
      case 'requiredAttributes': case 'createOnlyAttributes':
        next[key] = attributePaths(key, value);
        break;
      case 'allowedValues': {
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SettingsError('allowedValues must map attribute paths to lists of values, e.g. {"emails.type": ["work", "other"]}');
        const map: Record<string, string[]> = {};
        for (const [path, list] of Object.entries(value as Record<string, unknown>)) {
          attributePaths('allowedValues', [path]);
          if (!Array.isArray(list) || !list.length || !list.every((v) => typeof v === 'string')) throw new SettingsError(`allowedValues["${path}"] must be a non-empty list of strings`);
          map[path] = list as string[];
        }
        next.allowedValues = map;
        break;
      }
      default:
        throw new SettingsError(`unknown setting "${key}"`);
    }
  }
  return next;
}

function attributePaths(setting: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new SettingsError(`${setting} must be a list of user attribute paths`);
  for (const path of value as string[]) {
    if (!USER_REGISTRY.resolve(path)) throw new SettingsError(`${setting}: "${path}" is not an attribute of the User schema or its extensions`);
  }
  return value as string[];
}

export function parseStoredSettings(json: string): ConnectorSettings {
  const stored = JSON.parse(json || '{}') as Partial<ConnectorSettings>;
  return { ...DEFAULT_SETTINGS, ...stored, roleMap: { ...(stored.roleMap ?? DEFAULT_SETTINGS.roleMap) }, allowedValues: { ...(stored.allowedValues ?? {}) } };
}

export class SettingsError extends Error {
  constructor(message: string) { super(message); this.name = 'SettingsError'; }
}

/** What a connector's settings say about resource documents: the options of normalisation and PATCH. */
export interface DocumentRules {
  allowExtensionPassthrough: boolean;
  acceptPassword: boolean;
}

export const documentRules = (settings: ConnectorSettings): DocumentRules => ({
  allowExtensionPassthrough: settings.allowExtensionPassthrough,
  acceptPassword: settings.acceptPassword,
});
