import { InvalidInput } from './errors.js';
import { didYouMean } from './did-you-mean.js';
import { BUILT_IN_EXTENSION_NAMES, HOST_ATTRIBUTE_TYPES, type ExtensionChoice } from './schemas/extension-sets.js';
import { USER_REGISTRY } from './schemas/registry.js';
import { isResourceLevelName, RESOURCE_LEVEL_NAMES } from './schemas/definitions.js';
import { resolveSettingPath, resolveTypedAttribute } from './schemas/typed-path.js';
import { URN } from './schemas/urns.js';
import {
  ENUM_SETTINGS,
  isWebRole,
  SSO_MATCH_CLAIMS,
  WEB_ROLES,
  type ConnectorSettings,
  type DeprovisionGuard,
  type EntraPushSettings,
  type EnumSetting,
  type EnumSettingValue,
  type RequiredAttribute,
  type WebRole,
  type WorkspaceMapping,
} from './types.js';
import { MAX_DEPROVISION_WINDOW_MINUTES } from './limits.js';

// An hour's window; 50 users is more than a test connector or a leaver batch removes at once.
const DEFAULT_DEPROVISION_GUARD: DeprovisionGuard = { percent: 20, windowMinutes: 60, minimumUsers: 50 };

/**
 * Every connector setting's default: what a new connector gets before its preset and the admin's changes, and what a
 * stored settings document lacking a field falls back to.
 */
export const DEFAULT_SETTINGS: ConnectorSettings = {
  groupsEnabled: true,
  groupDisplayNamePrefix: '',
  allowExtensionPassthrough: false,
  acceptPassword: false,
  roleMap: Object.fromEntries(WEB_ROLES.map((r) => [r, r])),
  deleteMode: 'delete',
  onDeactivate: 'keep',
  userNameFallback: 'none',
  ssoMatchClaims: ['preferred_username', 'upn'],
  ssoJitProvisioning: false,
  newUserLoginMethod: 'auto',
  requiredAttributes: [],
  allowedValues: {},
  primaryByType: {},
  createOnlyAttributes: [],
  userNameImmutable: false,
  uniqueEmail: false,
  matchOnCreate: 'none',
  extensions: BUILT_IN_EXTENSION_NAMES,
  scimEndpoint: null,
  resourceKind: null,
  deprovisionGuard: DEFAULT_DEPROVISION_GUARD,
  entraPush: {
    graphBaseUrl: 'https://graph.microsoft.com/v1.0',
    tokenUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    concurrency: 4,
    maxRetries: 3,
  },
  workspaces: false,
};

/** A workspace mapping's defaults: Systam's extension attribute, nothing mapped yet, the primary workspace only. */
export const DEFAULT_WORKSPACE_MAPPING: WorkspaceMapping = {
  attribute: `${URN.systam}:primaryWorkspace`,
  values: {},
  groups: {},
  fallback: null,
  sync: 'primary',
};

/** Entries `values` or `groups` may list: a decision binds them as a derived table (SQLite caps a compound SELECT at 500 terms). */
export const MAX_WORKSPACE_MAPPINGS = 400;
/** The width of the workspace id columns. */
export const WORKSPACE_ID_LENGTH = 191;

/** Path segments the connector's own routes take: no connector endpoint may shadow them. */
const RESERVED_ENDPOINTS = ['scim', 'sso', 'admin'];

/**
 * Merges a partial settings object over the current one, refusing anything malformed with a
 * message that names the setting: settings come from admins and scripts.
 */
export function mergeSettings(current: ConnectorSettings, patch: unknown): ConnectorSettings {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch))
    throw new SettingsError('settings must be a JSON object');
  const next: ConnectorSettings = {
    ...current,
    roleMap: { ...current.roleMap },
    ssoMatchClaims: [...current.ssoMatchClaims],
  };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    try {
      mergeSetting(current, next, key, value);
    } catch (error) {
      // The helpers' messages name the setting; the error's field names it too, so a form can place the message.
      if (error instanceof SettingsError && error.field === 'settings' && key in DEFAULT_SETTINGS)
        throw new SettingsError(error.message, key);
      throw error;
    }
  }
  return next;
}

/** Validates one setting of a patch into `next` (a copy of `current`), or throws a SettingsError naming it. */
function mergeSetting(current: ConnectorSettings, next: ConnectorSettings, key: string, value: unknown): void {
  switch (key) {
    case 'groupsEnabled':
    case 'allowExtensionPassthrough':
    case 'acceptPassword':
    case 'ssoJitProvisioning':
    case 'userNameImmutable':
    case 'uniqueEmail':
      if (typeof value !== 'boolean') throw new SettingsError(`${key} must be true or false`);
      next[key] = value;
      break;
    case 'groupDisplayNamePrefix':
      if (typeof value !== 'string' || value.length > 32)
        throw new SettingsError('groupDisplayNamePrefix must be a string of at most 32 characters');
      next.groupDisplayNamePrefix = value;
      break;
    case 'newUserLoginMethod':
    case 'deleteMode':
    case 'onDeactivate':
    case 'userNameFallback':
    case 'matchOnCreate':
      Object.assign(next, { [key]: enumValue(key, value) });
      break;
    case 'scimEndpoint':
      if (
        value !== null &&
        (typeof value !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(value) || RESERVED_ENDPOINTS.includes(value))
      ) {
        throw new SettingsError(
          `scimEndpoint must be null or one lower-case path segment such as "advisors" (not ${RESERVED_ENDPOINTS.join(', ')})`,
        );
      }
      next.scimEndpoint = value;
      break;
    case 'resourceKind':
      if (value !== null && (typeof value !== 'string' || !value.trim() || value.length > 64))
        throw new SettingsError('resourceKind must be null or a label of at most 64 characters');
      next.resourceKind = value;
      break;
    case 'deprovisionGuard':
      next.deprovisionGuard = deprovisionGuard(current.deprovisionGuard, value);
      break;
    case 'entraPush':
      next.entraPush = entraPush(current.entraPush, value);
      break;
    case 'extensions':
      next.extensions = extensionChoices(value);
      break;
    case 'workspaces':
      next.workspaces = workspaceMapping(current.workspaces, value);
      break;
    case 'roleMap': {
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw new SettingsError('roleMap must map Entra app-role values to web roles');
      const map: Record<string, WebRole> = {};
      for (const [from, to] of Object.entries(value as Record<string, unknown>)) {
        if (!from.trim()) throw new SettingsError('roleMap: an app role value must not be empty');
        if (!isWebRole(to)) throw new SettingsError(`roleMap["${from}"] must be one of ${WEB_ROLES.join(', ')}`);
        map[from] = to;
      }
      next.roleMap = map;
      break;
    }
    case 'ssoMatchClaims':
      if (!Array.isArray(value) || !value.every((c) => (SSO_MATCH_CLAIMS as readonly unknown[]).includes(c))) {
        throw new SettingsError(`ssoMatchClaims must be a list of ${SSO_MATCH_CLAIMS.join(', ')}`);
      }
      next.ssoMatchClaims = value as ConnectorSettings['ssoMatchClaims'];
      break;
    case 'requiredAttributes':
      next.requiredAttributes = requiredAttributes(value);
      break;
    case 'createOnlyAttributes':
      next[key] = attributePaths(key, value);
      break;
    case 'primaryByType':
      next.primaryByType = primaryByType(value);
      break;
    case 'allowedValues': {
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw new SettingsError(
          'allowedValues must map attribute paths to lists of values, e.g. {"emails.type": ["work", "other"]}',
        );
      const map: Record<string, string[]> = {};
      for (const [path, list] of Object.entries(value as Record<string, unknown>)) {
        attributePaths('allowedValues', [path]);
        if (!Array.isArray(list) || !list.length || !list.every((v) => typeof v === 'string'))
          throw new SettingsError(`allowedValues["${path}"] must be a non-empty list of strings`);
        map[path] = list;
      }
      next.allowedValues = map;
      break;
    }
    default:
      throw new SettingsError(`unknown setting "${key}"${didYouMean(key, Object.keys(DEFAULT_SETTINGS))}`);
  }
}

/** Limits of each guard field: [least, most] whole numbers. */
const GUARD_LIMITS: Record<keyof DeprovisionGuard, [number, number]> = {
  percent: [1, 100],
  windowMinutes: [1, MAX_DEPROVISION_WINDOW_MINUTES],
  minimumUsers: [1, 1_000_000],
};

/** One of the words {@link ENUM_SETTINGS} lists for the setting, or a SettingsError naming them all. */
function enumValue<K extends EnumSetting>(key: K, value: unknown): EnumSettingValue<K> {
  const allowed: readonly string[] = ENUM_SETTINGS[key];
  if (typeof value !== 'string' || !allowed.includes(value)) {
    const words = allowed.map((word) => `"${word}"`);
    throw new SettingsError(`${key} must be ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`);
  }
  return value as EnumSettingValue<K>;
}

/** `false`, or fields merged over the current guard (the default one when it was off). */
function deprovisionGuard(current: DeprovisionGuard | false, value: unknown): DeprovisionGuard | false {
  if (value === false) return false;
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new SettingsError('deprovisionGuard must be false or {"percent", "windowMinutes", "minimumUsers"}');
  const next = { ...(current || DEFAULT_DEPROVISION_GUARD) };
  for (const [field, n] of Object.entries(value as Record<string, unknown>)) {
    const limits = GUARD_LIMITS[field as keyof DeprovisionGuard] as [number, number] | undefined;
    if (!limits)
      throw new SettingsError(
        `deprovisionGuard: unknown field "${field}"; fields are ${Object.keys(GUARD_LIMITS).join(', ')}`,
      );
    if (!Number.isInteger(n) || (n as number) < limits[0] || (n as number) > limits[1])
      throw new SettingsError(`deprovisionGuard.${field} must be a whole number from ${limits[0]} to ${limits[1]}`);
    next[field as keyof DeprovisionGuard] = n as number;
  }
  return next;
}

/** Fields merged over the current ones: two http(s) URLs and two small whole numbers. */
function entraPush(current: EntraPushSettings, value: unknown): EntraPushSettings {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new SettingsError('entraPush must be {"graphBaseUrl", "tokenUrl", "concurrency", "maxRetries"}');
  const next = { ...current };
  for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
    if (field === 'graphBaseUrl' || field === 'tokenUrl') {
      let url: URL | undefined;
      try {
        url = typeof v === 'string' ? new URL(v) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash)
        throw new SettingsError(
          `entraPush.${field} must be an http(s) URL without query, e.g. ${DEFAULT_SETTINGS.entraPush[field]}`,
        );
      next[field] = (v as string).replace(/\/+$/, '');
    } else if (field === 'concurrency' || field === 'maxRetries') {
      const [least, most] = field === 'concurrency' ? [1, 16] : [0, 10];
      if (!Number.isInteger(v) || (v as number) < least || (v as number) > most)
        throw new SettingsError(`entraPush.${field} must be a whole number from ${least} to ${most}`);
      next[field] = v as number;
    } else {
      throw new SettingsError(
        `entraPush: unknown field "${field}"; fields are graphBaseUrl, tokenUrl, concurrency, maxRetries`,
      );
    }
  }
  return next;
}

/** A workspace id: 1–191 characters without surrounding spaces (MariaDB's PAD SPACE would make "a " equal "a"). */
export const isWorkspaceId = (v: unknown): v is string =>
  typeof v === 'string' && v !== '' && v.trim() === v && v.length <= WORKSPACE_ID_LENGTH;

/** `false`, or fields merged over the current mapping (the default one when it was off); `values` and `groups` are replaced whole. */
function workspaceMapping(current: WorkspaceMapping | false, value: unknown): WorkspaceMapping | false {
  if (value === false) return false;
  const shape = 'workspaces must be false or {"attribute", "values", "groups", "fallback", "sync"}';
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SettingsError(shape);
  const next: WorkspaceMapping = { ...(current || DEFAULT_WORKSPACE_MAPPING) };
  for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
    switch (field) {
      case 'attribute': {
        if (v === null) {
          next.attribute = null;
          break;
        }
        const resolved = typeof v === 'string' ? USER_REGISTRY.resolve(v) : undefined;
        // The decision reads the attribute's stored rows (user_extensions): one plain value of an extension.
        if (
          !resolved?.extension ||
          resolved.subAttribute ||
          resolved.attribute.multiValued ||
          resolved.attribute.type === 'complex'
        ) {
          throw new SettingsError(
            'workspaces.attribute must be null or a single-valued extension attribute such as "urn:ietf:params:scim:schemas:extension:systam:2.0:User:primaryWorkspace"',
          );
        }
        next.attribute = resolved.canonicalPath;
        break;
      }
      case 'values':
      case 'groups': {
        if (!v || typeof v !== 'object' || Array.isArray(v))
          throw new SettingsError(
            `workspaces.${field} must map ${field === 'values' ? 'attribute values' : 'group ids'} to workspace ids`,
          );
        const entries = Object.entries(v as Record<string, unknown>);
        if (entries.length > MAX_WORKSPACE_MAPPINGS)
          throw new SettingsError(`workspaces.${field} may list at most ${MAX_WORKSPACE_MAPPINGS} entries`);
        for (const [from, to] of entries) {
          if (!from.trim() || from.length > 255 || !isWorkspaceId(to))
            throw new SettingsError(
              `workspaces.${field}["${from.slice(0, 40)}"] must name a workspace id (1–${WORKSPACE_ID_LENGTH} characters, no surrounding spaces)`,
            );
        }
        next[field] = { ...(v as Record<string, string>) };
        break;
      }
      case 'fallback':
        if (v !== null && !isWorkspaceId(v))
          throw new SettingsError(
            `workspaces.fallback must be null or a workspace id (1–${WORKSPACE_ID_LENGTH} characters, no surrounding spaces)`,
          );
        next.fallback = v;
        break;
      case 'sync':
        if (v !== 'primary' && v !== 'all') throw new SettingsError('workspaces.sync must be "primary" or "all"');
        next.sync = v;
        break;
      default:
        throw new SettingsError(`workspaces: unknown field "${field}"; ${shape}`);
    }
  }
  return next;
}

function attributePaths(setting: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new SettingsError(`${setting} must be a list of user attribute paths`);
  for (const path of value) {
    if (!USER_REGISTRY.resolve(path))
      throw new SettingsError(`${setting}: "${path}" is not an attribute of the User schema or its extensions`);
  }
  return value;
}

const REQUIRED_SHAPE =
  'requiredAttributes must be a list of user attribute paths (e.g. "name.givenName", ' +
  '"emails[type eq \\"work\\"].value") or {"path": "…", "ifSent": "phoneNumbers"} (required when that attribute is sent at all)';

/** Plain or typed paths (`emails[type eq "work"].value`), or `{ path, ifSent }`: required only when `ifSent` is sent. */
function requiredAttributes(value: unknown): RequiredAttribute[] {
  if (!Array.isArray(value)) throw new SettingsError(REQUIRED_SHAPE);
  const known = (path: unknown) => typeof path === 'string' && resolveSettingPath(path) !== undefined;
  return value.map((entry: unknown) => {
    if (typeof entry === 'string') {
      if (!known(entry))
        throw new SettingsError(
          `requiredAttributes: "${entry}" is not an attribute of the User schema or its extensions`,
        );
      return entry;
    }
    const { path, ifSent, ...rest } = (entry && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
    if (typeof path !== 'string' || typeof ifSent !== 'string' || Object.keys(rest).length)
      throw new SettingsError(REQUIRED_SHAPE);
    for (const p of [path, ifSent]) {
      if (!known(p))
        throw new SettingsError(`requiredAttributes: "${p}" is not an attribute of the User schema or its extensions`);
    }
    return { path, ifSent };
  });
}

/** Multi-valued attribute (with type and primary) → the type whose value becomes primary. */
function primaryByType(value: unknown): Record<string, string> {
  const shape =
    'primaryByType must map multi-valued attributes to a type, e.g. {"emails": "work", "phoneNumbers": "work"}';
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SettingsError(shape);
  const map: Record<string, string> = {};
  for (const [path, type] of Object.entries(value as Record<string, unknown>)) {
    const resolved = resolveTypedAttribute(path);
    if (!resolved)
      throw new SettingsError(
        `primaryByType: "${path}" is not a multi-valued attribute with type and primary (emails, phoneNumbers, addresses, …)`,
      );
    if (typeof type !== 'string' || !type.trim() || type.length > 64)
      throw new SettingsError(`primaryByType["${path}"] must be a type such as "work"`);
    map[resolved.canonicalPath] = type;
  }
  return map;
}

function extensionChoices(value: unknown): ExtensionChoice[] {
  const shape = `extensions must be a list of ${BUILT_IN_EXTENSION_NAMES.join(', ')} or host-defined schemas {"id": "urn:…", "attributes": [{"name": "…", "type": "string"}]}`;
  if (!Array.isArray(value)) throw new SettingsError(shape);
  const ids = new Set<string>();
  for (const choice of value as unknown[]) {
    if (typeof choice === 'string') {
      if (!BUILT_IN_EXTENSION_NAMES.includes(choice))
        throw new SettingsError(`extensions: unknown extension "${choice}"; ${shape}`);
      continue;
    }
    const schema = choice as Partial<Record<string, unknown>> | null;
    if (
      !schema ||
      typeof schema !== 'object' ||
      typeof schema.id !== 'string' ||
      !/^urn:[^\s]+$/i.test(schema.id) ||
      !Array.isArray(schema.attributes) ||
      !schema.attributes.length
    )
      throw new SettingsError(shape);
    if (ids.has(schema.id.toLowerCase()) || USER_REGISTRY.schemaByUrn(schema.id) || USER_REGISTRY.splitUrn(schema.id))
      throw new SettingsError(`extensions: "${schema.id}" is already declared`);
    ids.add(schema.id.toLowerCase());
    for (const a of schema.attributes as Array<Record<string, unknown> | null>) {
      const valid =
        a &&
        typeof a.name === 'string' &&
        /^[A-Za-z][\w$-]*$/.test(a.name) &&
        (a.type === undefined || (HOST_ATTRIBUTE_TYPES as readonly unknown[]).includes(a.type)) &&
        (a.multiValued === undefined || typeof a.multiValued === 'boolean');
      if (!valid)
        throw new SettingsError(
          `extensions: "${schema.id}" has an invalid attribute; attributes are {"name", "type"?: ${HOST_ATTRIBUTE_TYPES.join('|')}, "multiValued"?}`,
        );
      if (isResourceLevelName(a.name as string))
        throw new SettingsError(
          `extensions: "${schema.id}" names an attribute "${a.name as string}", a SCIM resource-level name (${RESOURCE_LEVEL_NAMES.join(', ')})`,
        );
    }
  }
  return value as ExtensionChoice[];
}

/** A connector's settings as stored (JSON) with the defaults filled in for fields added since it was written. */
export function parseStoredSettings(json: string): ConnectorSettings {
  const stored = JSON.parse(json || '{}') as Partial<ConnectorSettings>;
  return {
    ...DEFAULT_SETTINGS,
    ...stored,
    entraPush: { ...DEFAULT_SETTINGS.entraPush, ...stored.entraPush },
    roleMap: { ...(stored.roleMap ?? DEFAULT_SETTINGS.roleMap) },
    allowedValues: { ...(stored.allowedValues ?? {}) },
    primaryByType: { ...(stored.primaryByType ?? {}) },
  };
}

/**
 * A connector setting that does not validate: 400 `invalid_settings`, its message names the setting (and the
 * accepted words of an enum setting). Thrown when a connector is created or its settings are changed.
 *
 * @example
 * ```ts
 * import { SettingsError, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * try {
 *   await identity.store.connectors.updateSettings('a-connector-id', { deleteMode: 'erase' });
 * } catch (error) {
 *   if (error instanceof SettingsError) console.log(error.message); // deleteMode must be "delete" or "deactivate"
 *   else throw error;
 * }
 * ```
 */
export class SettingsError extends InvalidInput {
  constructor(message: string, field = 'settings') {
    super('invalidValue', message, { code: 'invalid_settings', field });
  }
}

/** What a connector's settings say about resource documents: the options of normalisation and PATCH. */
export interface DocumentRules {
  allowExtensionPassthrough: boolean;
  acceptPassword: boolean;
  userNameFallback?: ConnectorSettings['userNameFallback'];
}

/** What a connector's settings tell normalisation and PATCH about resource documents. */
export const documentRules = (settings: ConnectorSettings): DocumentRules => ({
  allowExtensionPassthrough: settings.allowExtensionPassthrough,
  acceptPassword: settings.acceptPassword,
  userNameFallback: settings.userNameFallback,
});
