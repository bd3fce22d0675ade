import type { Filter } from './filter.js';
import type { ExtensionChoice } from './schemas/extension-sets.js';
import type { ResolvedAttribute } from './schemas/registry.js';

/**
 * The web access roles a user can hold, lowest first: `ReadOnly` < `User` < `Admin` < `EnterpriseAdmin`.
 * `requireWebRole(minimum)` admits a role at or above its minimum; the connector's `roleMap` turns Entra app-role
 * values into these.
 */
export const WEB_ROLES = ['ReadOnly', 'User', 'Admin', 'EnterpriseAdmin'] as const;
/** One of {@link WEB_ROLES}. A user without one (`webRole: null`) may sign in to the app but holds no web role. */
export type WebRole = (typeof WEB_ROLES)[number];
/** How a user signs in: `sso` (OpenID Connect through Entra ID) or `builtin` (the host's own password login). */
export const LOGIN_METHODS = ['sso', 'builtin'] as const;
/** One of {@link LOGIN_METHODS}; the host's login routes check it with `identity.checkLoginMethod`. */
export type LoginMethod = (typeof LOGIN_METHODS)[number];

/**
 * The connector settings that take one of a few words, each list spelled once: the settings' types below,
 * the check in `mergeSettings` and its message ("deleteMode must be "delete" or "deactivate"") derive from it.
 */
export const ENUM_SETTINGS = {
  /** {@link ConnectorSettings.deleteMode}: a SCIM DELETE removes the row, or only deactivates the user. */
  deleteMode: ['delete', 'deactivate'],
  /** {@link ConnectorSettings.onDeactivate}: `active: false` keeps the user inactive, or deletes it. */
  onDeactivate: ['keep', 'delete'],
  /** {@link ConnectorSettings.userNameFallback}: where a body without userName takes it from. */
  userNameFallback: ['none', 'externalId', 'email'],
  /** {@link ConnectorSettings.newUserLoginMethod}: how users provisioned from now on sign in. */
  newUserLoginMethod: ['auto', ...LOGIN_METHODS],
  /** {@link ConnectorSettings.matchOnCreate}: what a create first looks for among existing users. */
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

/** Whether a value (e.g. read from a form or a claim) is one of {@link WEB_ROLES}, spelled exactly. */
export const isWebRole = (v: unknown): v is WebRole =>
  typeof v === 'string' && (WEB_ROLES as readonly string[]).includes(v);
/** Whether a value is one of {@link LOGIN_METHODS}, spelled exactly. */
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
  /** The host's organization the workspace belongs to. */
  organizationId: string;
  /** The host's own id for it: what mappings name. */
  id: string;
  /** Its name for admins; the id when registered without one. */
  name: string;
  /** When it was first registered; the oldest is the organization's fallback of last resort. */
  createdAt: Date;
  /** When it was last renamed. */
  updatedAt: Date;
}

/** A user's workspaces as recorded: the primary one (null: the organization has none registered) and the whole set, sorted. */
export interface UserWorkspaces {
  /** The primary workspace's id; null when the organization has none registered. */
  primary: string | null;
  /** Every workspace id the user is in, sorted (only the primary one with `sync: 'primary'`). */
  workspaces: string[];
}

/**
 * A deprovisioning write is refused (and the connector paused) when it would make the count of
 * deactivations and deletions within `windowMinutes` exceed the larger of `minimumUsers` and
 * `percent` of the connector's users: the absolute floor keeps small connectors from tripping.
 */
export interface DeprovisionGuard {
  /** The share of the connector's users (1–100) whose deprovisioning within the window trips the guard. */
  percent: number;
  /** The sliding window the deactivations and deletions are counted over, in minutes. */
  windowMinutes: number;
  /** The absolute floor: the guard never trips at or below this many deprovisionings within the window. */
  minimumUsers: number;
}

/** A required attribute path, or one required only when another attribute is sent at all. */
export type RequiredAttribute =
  | string
  | {
      /** The attribute path that must be present. */
      path: string;
      /** The attribute whose presence in the body makes `path` required. */
      ifSent: string;
    };

/** What a create first looks for among existing users (`matchOnCreate`). */
export const MATCH_ON_CREATE = ENUM_SETTINGS.matchOnCreate;
/** One of {@link MATCH_ON_CREATE}. */
export type MatchOnCreate = EnumSettingValue<'matchOnCreate'>;

/**
 * A connector's OpenID Connect settings as read back: the client secret is stored encrypted and never leaves the
 * store, so only whether one is set is shown.
 */
export interface OidcSettings {
  /**
   * The issuer URL (OpenID Connect Discovery 1.0 §4), e.g. `https://login.microsoftonline.com/{tenant}/v2.0`; null: not set.
   */
  issuer: string | null;
  /** The application (client) ID registered in Entra; null: not set. */
  clientId: string | null;
  /** The Entra directory (tenant) ID every sign-in token's `tid` claim must equal; null: not checked. */
  tenantId: string | null;
  /** Whether a client secret is stored (sign-in needs issuer, client id and secret). */
  hasClientSecret: boolean;
}

/**
 * One connection from an Entra ID tenant (or another SCIM client) into one organization of the host: its SCIM
 * tokens, users and groups belong to it, and its settings decide how their writes are read.
 */
export interface Connector {
  /** The connector's id (a UUID), the `connectorId` of its users, groups and tokens. */
  id: string;
  /** The host's organization (tenant of the host app) the connector provisions into. */
  organizationId: string;
  /** A name for admins, shown on the admin page and in the CLI. */
  name: string;
  /** The preset its settings started from (`lib/model/presets.ts`, e.g. `entra`, `systam`), kept for admins. */
  profile: string;
  /** The OpenID Connect settings for sign-in through Entra. */
  oidc: OidcSettings;
  /** The connector's behaviour, every field resolved (defaults filled in). */
  settings: ConnectorSettings;
  /** A platform group every user the connector creates joins (IFS Ultimo's default group); null: none. */
  defaultGroupId: string | null;
  /** When an OpenID Connect sign-in through this connector last completed; null: never since OIDC was set. */
  ssoVerifiedAt: Date | null;
  /** When the deprovisioning guard paused this connector's deactivations and deletions; null: not paused. */
  deprovisioningPausedAt: Date | null;
  /** When the connector was created. */
  createdAt: Date;
  /** When its name, settings or OIDC configuration last changed. */
  updatedAt: Date;
}

/**
 * A SCIM bearer token (RFC 7644 §2 authentication, RFC 6750) as stored: only its SHA-256 hash is kept, so the plain
 * token is shown once at creation and never again. A connector has at most two live tokens, for rotation.
 */
export interface ScimToken {
  /** The token's id, used to revoke it. */
  id: string;
  /** The connector whose SCIM endpoint the token opens. */
  connectorId: string;
  /** The token's first characters, shown in lists and audit rows (`scim-token:<prefix>`) to tell tokens apart. */
  displayPrefix: string;
  /** The admin's note on what the token is for (e.g. "Entra production"); null: none. */
  label: string | null;
  /** When it was issued. */
  createdAt: Date;
  /** When it last authenticated a request, written at most once a minute; null: never used. */
  lastUsedAt: Date | null;
  /** When it stops working; null: it does not expire. */
  expiresAt: Date | null;
  /** When it was revoked; null: live (unless expired). */
  revokedAt: Date | null;
}

/** A SCIM resource body in canonical attribute names, without id, meta and read-only groups. */
export type ResourceDocument = Record<string, unknown>;

/**
 * A user as the store holds it: the indexed columns the connector decides on, and the whole SCIM document
 * (RFC 7643 §4.1 User plus the connector's extensions) as it was last written.
 */
export interface StoredUser {
  /** The user's SCIM `id` (a UUID assigned here, RFC 7643 §3.1), stable for the user's life. */
  id: string;
  /** The connector that provisioned or created the user; userNames are unique per connector. */
  connectorId: string;
  /** The SCIM `userName` (RFC 7643 §4.1.1), unique within the connector in any letter case. */
  userName: string;
  /** The SCIM client's own id for the user (RFC 7643 §3.1); Entra sends its mailNickname by default. */
  externalId: string | null;
  /**
   * SCIM `active`: false after Entra disables the user (or a DELETE in `deactivate` mode); an inactive user cannot sign in.
   */
  active: boolean;
  /** SCIM `displayName`, kept as a column for lists and the admin page. */
  displayName: string | null;
  /** How the user signs in (SSO or the host's built-in login). */
  loginMethod: LoginMethod;
  /**
   * The web access role, from the `roles` attribute through the connector's `roleMap` or set by an admin; null: none.
   */
  webRole: WebRole | null;
  /**
   * A protected user is never changed or deleted by SCIM and is neither exported nor pushed to Entra (e.g. Systam's Organization Owners).
   */
  protected: boolean;
  /** The connector's resourceKind when it created the user (&Money BookMe: advisor, room). */
  resourceKind: string | null;
  /**
   * The Entra object id (`oid`) of the account that signs in as this user, lower case: from a
   * GUID externalId, or learnt at the first verified sign-in in the connector's tenant. Entra's
   * default mapping sends externalId = mailNickname, so externalId alone cannot be it.
   */
  entraObjectId: string | null;
  /** Bumped on each write; SCIM's ETag (`W/"<version>"`, RFC 7644 §3.14) and the If-Match check compare it. */
  version: number;
  /** The SCIM body as last written, in canonical attribute names (no id, meta or groups). */
  document: ResourceDocument;
  /** When the user was created (`meta.created`). */
  createdAt: Date;
  /** When the user was last written (`meta.lastModified`). */
  updatedAt: Date;
  /** Filled only when asked for (the readOnly `groups` attribute). */
  groups?: GroupRef[];
}

/** A group a user belongs to, as listed in the user's read-only `groups` attribute (RFC 7643 §4.1.2). */
export interface GroupRef {
  /** The group's SCIM `id`. */
  id: string;
  /** The group's `displayName`. */
  displayName: string;
}

/**
 * What a decided user write stores: the policy (`lib/policy/user-writes.ts`) fills it, the store writes it as given.
 */
export interface UserWrite {
  /** The normalised SCIM body to store. */
  document: ResourceDocument;
  /** The web role decided; undefined keeps the current one. */
  webRole?: WebRole | null;
  /** The login method decided; undefined keeps the current one. */
  loginMethod?: LoginMethod;
  /** A password hash (never the password). Undefined keeps the current one on replace. */
  passwordHash?: string | null;
  /** Whether the user is protected; undefined keeps the current value. */
  protected?: boolean;
  /** Set on creation only. */
  resourceKind?: string | null;
  /** The Entra object id this user signs in as (see StoredUser); undefined keeps the current one. */
  entraObjectId?: string | null;
  /** The normalised email that must be unique among the connector's users (`uniqueEmail`), or null. Undefined keeps it. */
  emailKey?: string | null;
}

/** A group as the store holds it (RFC 7643 §4.2), with its members only when asked for. */
export interface StoredGroup {
  /** The group's SCIM `id` (a UUID assigned here). */
  id: string;
  /** The connector the group belongs to; displayNames are unique per connector. */
  connectorId: string;
  /** SCIM `displayName`, with the connector's `groupDisplayNamePrefix` applied. */
  displayName: string;
  /** The SCIM client's id for the group (Entra: the group's object id). */
  externalId: string | null;
  /** Bumped on each write, including membership changes; the group's ETag. */
  version: number;
  /** The SCIM body as last written, without members. */
  document: ResourceDocument;
  /** When the group was created. */
  createdAt: Date;
  /** When the group or its membership last changed. */
  updatedAt: Date;
  /** Filled only when asked for: Entra reads groups with excludedAttributes=members. */
  members?: GroupMember[];
}

/** One member of a group as read back (RFC 7643 §4.2 `members`). */
export interface GroupMember {
  /** The member user's `id`. */
  value: string;
  /** The member's display name as the client sent it, or null. */
  display: string | null;
}

/** One member to add: the user's `id` (`value`) and an optional display name, as in a SCIM `members` entry. */
export interface MemberInput {
  /** The user's `id`; a user of another connector or none at all is refused. */
  value: string;
  /** The display name the client sent, kept as given. */
  display?: string | null;
}

/** A membership change, applied in order inside one transaction. */
export type MembershipChange =
  | {
      /** Adds members; one already in the group is kept as it is (RFC 7644 §3.5.2.1). */
      op: 'add';
      /** The users to add. */
      members: MemberInput[];
    }
  | {
      /** Removes these users; one not in the group is ignored. */
      op: 'remove';
      /** The ids of the users to remove. */
      userIds: string[];
    }
  | {
      /** Removes every member (a PATCH `remove` of `members` without a filter, RFC 7644 §3.5.2.2). */
      op: 'removeAll';
    }
  | {
      /** Makes the membership exactly these users (PUT, or PATCH `replace` of `members`). */
      op: 'replace';
      /** The whole new membership. */
      members: MemberInput[];
    };

/** One page of a SCIM list (RFC 7644 §3.4.2): filter, sort and either index or keyset paging. */
export interface ListQuery {
  /** A filter whose paths are resolved against the resource's schemas. */
  filter?: Filter;
  /** The attribute to sort by (RFC 7644 §3.4.2.3), resolved against the schemas; default: creation order. */
  sortBy?: ResolvedAttribute;
  /** The sort direction; default `ascending`. */
  sortOrder?: 'ascending' | 'descending';
  /** Index paging (1-based) … */
  startIndex?: number;
  /** … or keyset paging: null asks for the first page, a string continues. */
  cursor?: string | null;
  /** The page size (RFC 7644 §3.4.2.4 `count`), already capped by the caller. */
  count: number;
}

/** One page of a list and how to get the next one. */
export interface ListResult<T> {
  /** How many resources match the filter in all (RFC 7644 §3.4.2 `totalResults`). */
  totalResults: number;
  /** The page's resources, in the order asked for. */
  items: T[];
  /** With keyset paging: the cursor of the next page; absent on the last page. */
  nextCursor?: string;
  /** With keyset paging: the cursor of the previous page; absent on the first page. */
  previousCursor?: string;
}

/**
 * One entry of the provisioning log: a change committed together with it, or a refusal or failure recorded after
 * rollback. Admins read it on the admin page; hosts through `identity.store.audit`.
 */
export interface AuditEvent {
  /** The entry's id, increasing; `AuditQuery.beforeId` pages by it. */
  id: number;
  /** The connector concerned; null for an entry about no connector (e.g. a refused request without one). */
  connectorId: string | null;
  /** When the entry was written. */
  at: Date;
  /** The request's id (the `x-request-id` of the log lines) when a request caused it. */
  requestId: string | null;
  /** Who acted: `scim-token:<prefix>`, `admin`, `sso`, `cli`, `host`, `login-method` or `anonymous`. */
  actor: string;
  /** What was done, e.g. `user.create`, `group.patch`, `token.create`, `oidc.configure`, `login`. */
  operation: string;
  /** `User`, `Group`, `Connector`, `Token`, … or null. */
  resourceType: string | null;
  /** The id of the resource concerned, or null. */
  resourceId: string | null;
  /** Whether the change committed (`success`) or was refused or failed (`failure`). */
  outcome: 'success' | 'failure';
  /** The HTTP status the request was answered with, when there was one. */
  status: number | null;
  /** The SCIM error type of a refusal (RFC 7644 §3.12, e.g. `uniqueness`), or null. */
  scimType: string | null;
  /** What changed or why it was refused, for the admin (never a secret or a password). */
  detail: string | null;
  /** The user's userName or the group's displayName, read with the entry; null once it is deleted. */
  resourceName: string | null;
}

/** An audit entry to write: the store assigns `id`, `at` defaults to now, and `resourceName` is read later. */
export type AuditInput = Omit<AuditEvent, 'id' | 'at' | 'resourceName'> & {
  /** When it happened; default: now. */
  at?: Date;
};

/** Which entries of the provisioning log to read: newest first, before an entry id (keyset paging). */
export interface AuditQuery {
  /** How many entries to answer at most. */
  limit?: number;
  /** Only entries older than this id (the last id of the previous page). */
  beforeId?: number;
  /** Only entries of this operation. */
  operation?: string;
  /** Only successes or only failures. */
  outcome?: 'success' | 'failure';
  /** Entries about this user or group. */
  resourceId?: string;
}
