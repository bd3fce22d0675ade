import type { Filter } from './filter.js';
import type { ExtensionChoice } from './schemas/extension-sets.js';
import type { ResolvedAttribute } from './schemas/registry.js';

export const WEB_ROLES = ['ReadOnly', 'User', 'Admin', 'EnterpriseAdmin'] as const;
export type WebRole = (typeof WEB_ROLES)[number];
export const LOGIN_METHODS = ['sso', 'builtin'] as const;
export type LoginMethod = (typeof LOGIN_METHODS)[number];

/**
 * The connector settings that take one of a few words, each list spelled once: the settings' types below,
 * the check in `mergeSettings` and its message ("deleteMode must be "delete" or "deactivate"") derive from it.
 */
export const ENUM_SETTINGS = {
  deleteMode: ['delete', 'deactivate'],
  onDeactivate: ['keep', 'delete'],
  userNameFallback: ['none', 'externalId', 'email'],
  newUserLoginMethod: ['auto', ...LOGIN_METHODS],
  matchOnCreate: ['none', 'email', 'externalId'],
} as const;
/** The name of a setting listed in {@link ENUM_SETTINGS}. */
export type EnumSetting = keyof typeof ENUM_SETTINGS;
/** The words an enum setting accepts, e.g. `EnumSettingValue<'deleteMode'>` is `'delete' | 'deactivate'`. */
export type EnumSettingValue<K extends EnumSetting> = (typeof ENUM_SETTINGS)[K][number];

/** The ID token claims `ssoMatchClaims` may list, in the order a connector tries them. */
export const SSO_MATCH_CLAIMS = ['preferred_username', 'upn', 'email'] as const;
/** One of {@link SSO_MATCH_CLAIMS}. */
export type SsoMatchClaim = (typeof SSO_MATCH_CLAIMS)[number];

export const isWebRole = (v: unknown): v is WebRole =>
  typeof v === 'string' && (WEB_ROLES as readonly string[]).includes(v);
export const isLoginMethod = (v: unknown): v is LoginMethod =>
  typeof v === 'string' && (LOGIN_METHODS as readonly string[]).includes(v);

/** Per-connector behaviour from the platform guides; every field has a default (see model/settings.ts). */
export interface ConnectorSettings {
  /** IFS Ultimo refuses groups: then /Groups answers a SCIM error and discovery leaves Group out. */
  groupsEnabled: boolean;
  /** Staffbase names provisioned groups `[SCIM] <displayName>`. */
  groupDisplayNamePrefix: string;
  /** Attributes of undeclared extension schemas are kept (true) or refused with 400 (false). */
  allowExtensionPassthrough: boolean;
  /** Whether SCIM `password` is accepted (stored as a scrypt hash) or ignored. */
  acceptPassword: boolean;
  /** Entra app-role value → web access role. Values not listed are stored but give no web role (audited). */
  roleMap: Record<string, WebRole>;
  /** What DELETE does: remove the row, or only deactivate it (Staffbase supports both). */
  deleteMode: EnumSettingValue<'deleteMode'>;
  /** What `active: false` (Entra's disable) does: keep the user inactive, or delete it (Systam has no soft delete). */
  onDeactivate: EnumSettingValue<'onDeactivate'>;
  /**
   * Where a create or replace without userName takes it from: Staffbase's mapping sends the
   * UPN as externalId and no userName. 'none' refuses such a body (userName is required).
   */
  userNameFallback: EnumSettingValue<'userNameFallback'>;
  /** Claims tried, in order, to match a sign-in to a user's userName when `oid` finds none. */
  ssoMatchClaims: SsoMatchClaim[];
  /** Create an unknown user at first sign-in (off by default). */
  ssoJitProvisioning: boolean;
  /**
   * How users provisioned from now on sign in: `auto` (Entra SSO once OpenID Connect is set,
   * else built-in), or always `sso` / `builtin`. Existing users keep theirs (bulk switch in admin).
   */
  newUserLoginMethod: EnumSettingValue<'newUserLoginMethod'>;
  /**
   * User attributes that must be present (the modelled platform: name.givenName, name.familyName).
   * A path may name one type's values (`emails[type eq "work"].value`, Systam's "a work-type email
   * address is required"), and an entry `{ path, ifSent }` is required only when the attribute
   * `ifSent` is sent at all (Systam: "a work-type phone number is required if phone numbers are mapped").
   */
  requiredAttributes: RequiredAttribute[];
  /** Accepted values per attribute path (Systam: emails.type work/other; the modelled platform: userType Premium/Standard). */
  allowedValues: Record<string, string[]>;
  /**
   * Multi-valued attribute → the type whose value is the primary one (Systam: "the work email is
   * always the user's primary email", the work phone the primary number). Among several values of
   * that type, the one the client marked primary wins (IFS Ultimo), else the first; with no value
   * of that type the client's own primary stays. What SCIM answers and the host reads carry it.
   */
  primaryByType: Record<string, string>;
  /** Attributes set on creation and kept afterwards (Staffbase: locale). */
  createOnlyAttributes: string[];
  /** userName never changes after insert (IFS Ultimo). */
  userNameImmutable: boolean;
  /**
   * A user's primary email belongs to no other user of the connector: a create, PUT or PATCH that
   * would give a second user the same address (in any letter case) answers 409 `uniqueness`. The
   * modelled platform: "this must be unique per user since it is used as our username". Enforced
   * by a unique key, so concurrent writes cannot both win; users written before it was turned on
   * count from their next write.
   */
  uniqueEmail: boolean;
  /**
   * What a SCIM POST (or SSO just-in-time creation) first looks for among the connector's users,
   * including ones the host created itself: a match is linked and updated instead of answering 409.
   * Systam matches by email, Staffbase by externalId; off ('none') by default.
   */
  matchOnCreate: MatchOnCreate;
  /**
   * The User extensions the connector accepts and shows in /Schemas and /ResourceTypes: names of
   * built-in ones (enterprise, folders, metadata, primaryWorkspace) or host-defined schemas as
   * data. Attributes of any other extension get 400, unless allowExtensionPassthrough.
   */
  extensions: ExtensionChoice[];
  /**
   * &Money BookMe: the connector is served at its own URL, `{mountPath}/{scimEndpoint}/scim`
   * (e.g. `advisors`), and only there; null serves it at the shared `{mountPath}/scim/v2`.
   */
  scimEndpoint: string | null;
  /** The kind of resource this connector's users are (e.g. advisor, room), recorded on each user it creates. */
  resourceKind: string | null;
  /**
   * The mass-deprovisioning guard: when more users than this are deactivated or deleted within
   * the window, the connector pauses deprovisioning until an admin resumes it (a mis-scoped
   * assignment in Entra must not disable a whole organization). `false` turns it off.
   */
  deprovisionGuard: DeprovisionGuard | false;
  /** Where and how the push to Entra (Microsoft Graph `POST /users`) goes. */
  entraPush: EntraPushSettings;
  /**
   * Systam's primary workspace: how a user's workspaces among the organization's registered ones
   * are decided on every user write and membership change (policy/workspaces.ts). `false`: the
   * connector records no workspaces.
   */
  workspaces: WorkspaceMapping | false;
}

/**
 * The push of platform users into Entra through Microsoft Graph. The defaults are Entra's global
 * cloud; a national cloud (or a test server) changes both URLs.
 */
export interface EntraPushSettings {
  /** Microsoft Graph's base URL; users are created at `{graphBaseUrl}/users`. The token's scope is its origin + `/.default`. */
  graphBaseUrl: string;
  /** The token endpoint of the client credentials grant; `{tenant}` is replaced by the tenant id. */
  tokenUrl: string;
  /** Users created at once (Graph throttles a tenant's writes). */
  concurrency: number;
  /** How often one user's request is retried after 429 or 503 (waiting Retry-After) or a network failure. */
  maxRetries: number;
}

/**
 * Which registered workspaces a user is in. The primary one is decided in this order: the
 * attribute's value, then the first listed group the user is a member of, then the fallback.
 * Every user of the connector has a primary workspace as soon as the organization has one.
 */
export interface WorkspaceMapping {
  /**
   * The extension attribute whose value names the workspace (default: Systam's
   * `urn:…:systam:2.0:User:primaryWorkspace`; Entra maps a constant or any source attribute to
   * it). null: groups and the fallback only.
   */
  attribute: string | null;
  /** Attribute value (in any letter case) → workspace id. A value not listed that is a registered workspace id names that workspace. */
  values: Record<string, string>;
  /** Provisioned group (Entra's object id, the group's externalId, or its id here) → workspace id; the first listed group wins the primary. */
  groups: Record<string, string>;
  /** The workspace of a user nothing maps; null (or not registered): the organization's first registered workspace (ties within a millisecond: the lowest id). */
  fallback: string | null;
  /** `primary`: the user is in the primary workspace only; `all`: in every workspace that maps (attribute and groups), the primary flagged. */
  sync: 'primary' | 'all';
}

/** A workspace the host registered for an organization (`identity.workspaces.register`). */
export interface Workspace {
  organizationId: string;
  /** The host's own id for it: what mappings name. */
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A user's workspaces as recorded: the primary one (null: the organization has none registered) and the whole set, sorted. */
export interface UserWorkspaces {
  primary: string | null;
  workspaces: string[];
}

/**
 * A deprovisioning write is refused (and the connector paused) when it would make the count of
 * deactivations and deletions within `windowMinutes` exceed the larger of `minimumUsers` and
 * `percent` of the connector's users: the absolute floor keeps small connectors from tripping.
 */
export interface DeprovisionGuard {
  percent: number;
  windowMinutes: number;
  minimumUsers: number;
}

/** A required attribute path, or one required only when another attribute is sent at all. */
export type RequiredAttribute = string | { path: string; ifSent: string };

/** What a create first looks for among existing users (`matchOnCreate`). */
export const MATCH_ON_CREATE = ENUM_SETTINGS.matchOnCreate;
/** One of {@link MATCH_ON_CREATE}. */
export type MatchOnCreate = EnumSettingValue<'matchOnCreate'>;

export interface OidcSettings {
  issuer: string | null;
  clientId: string | null;
  tenantId: string | null;
  hasClientSecret: boolean;
}

export interface Connector {
  id: string;
  organizationId: string;
  name: string;
  profile: string;
  oidc: OidcSettings;
  settings: ConnectorSettings;
  defaultGroupId: string | null;
  /** When an OpenID Connect sign-in through this connector last completed; null: never since OIDC was set. */
  ssoVerifiedAt: Date | null;
  /** When the deprovisioning guard paused this connector's deactivations and deletions; null: not paused. */
  deprovisioningPausedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScimToken {
  id: string;
  connectorId: string;
  displayPrefix: string;
  label: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** A SCIM resource body in canonical attribute names, without id, meta and read-only groups. */
export type ResourceDocument = Record<string, unknown>;

export interface StoredUser {
  id: string;
  connectorId: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  loginMethod: LoginMethod;
  webRole: WebRole | null;
  protected: boolean;
  /** The connector's resourceKind when it created the user (&Money BookMe: advisor, room). */
  resourceKind: string | null;
  /**
   * The Entra object id (`oid`) of the account that signs in as this user, lower case: from a
   * GUID externalId, or learnt at the first verified sign-in in the connector's tenant. Entra's
   * default mapping sends externalId = mailNickname, so externalId alone cannot be it.
   */
  entraObjectId: string | null;
  version: number;
  document: ResourceDocument;
  createdAt: Date;
  updatedAt: Date;
  /** Filled only when asked for (the readOnly `groups` attribute). */
  groups?: GroupRef[];
}

export interface GroupRef {
  id: string;
  displayName: string;
}

export interface UserWrite {
  document: ResourceDocument;
  webRole?: WebRole | null;
  loginMethod?: LoginMethod;
  /** A password hash (never the password). Undefined keeps the current one on replace. */
  passwordHash?: string | null;
  protected?: boolean;
  /** Set on creation only. */
  resourceKind?: string | null;
  /** The Entra object id this user signs in as (see StoredUser); undefined keeps the current one. */
  entraObjectId?: string | null;
  /** The normalised email that must be unique among the connector's users (`uniqueEmail`), or null. Undefined keeps it. */
  emailKey?: string | null;
}

export interface StoredGroup {
  id: string;
  connectorId: string;
  displayName: string;
  externalId: string | null;
  version: number;
  document: ResourceDocument;
  createdAt: Date;
  updatedAt: Date;
  /** Filled only when asked for: Entra reads groups with excludedAttributes=members. */
  members?: GroupMember[];
}

export interface GroupMember {
  value: string;
  display: string | null;
}

export interface MemberInput {
  value: string;
  display?: string | null;
}

/** A membership change, applied in order inside one transaction. */
export type MembershipChange =
  | { op: 'add'; members: MemberInput[] }
  | { op: 'remove'; userIds: string[] }
  | { op: 'removeAll' }
  | { op: 'replace'; members: MemberInput[] };

export interface ListQuery {
  /** A filter whose paths are resolved against the resource's schemas. */
  filter?: Filter;
  sortBy?: ResolvedAttribute;
  sortOrder?: 'ascending' | 'descending';
  /** Index paging (1-based) … */
  startIndex?: number;
  /** … or keyset paging: null asks for the first page, a string continues. */
  cursor?: string | null;
  count: number;
}

export interface ListResult<T> {
  totalResults: number;
  items: T[];
  nextCursor?: string;
  previousCursor?: string;
}

export interface AuditEvent {
  id: number;
  connectorId: string | null;
  at: Date;
  requestId: string | null;
  actor: string;
  operation: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: 'success' | 'failure';
  status: number | null;
  scimType: string | null;
  detail: string | null;
  /** The user's userName or the group's displayName, read with the entry; null once it is deleted. */
  resourceName: string | null;
}

export type AuditInput = Omit<AuditEvent, 'id' | 'at' | 'resourceName'> & { at?: Date };

/** Which entries of the provisioning log to read: newest first, before an entry id (keyset paging). */
export interface AuditQuery {
  limit?: number;
  beforeId?: number;
  operation?: string;
  outcome?: 'success' | 'failure';
  /** Entries about this user or group. */
  resourceId?: string;
}
