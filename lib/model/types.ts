import type { Filter } from './filter.js';
import type { ResolvedAttribute } from './schemas/registry.js';

export const WEB_ROLES = ['ReadOnly', 'User', 'Admin', 'EnterpriseAdmin'] as const;
export type WebRole = (typeof WEB_ROLES)[number];
export const LOGIN_METHODS = ['sso', 'builtin'] as const;
export type LoginMethod = (typeof LOGIN_METHODS)[number];

export const isWebRole = (v: unknown): v is WebRole => typeof v === 'string' && (WEB_ROLES as readonly string[]).includes(v);
export const isLoginMethod = (v: unknown): v is LoginMethod => typeof v === 'string' && (LOGIN_METHODS as readonly string[]).includes(v);

/** Per-connector behaviour from the seeds; every field has a default (see policy/settings.ts). */
export interface ConnectorSettings {
  /** Seed 003 refuses groups: then /Groups answers a SCIM error and discovery leaves Group out. */
  groupsEnabled: boolean;
  /** Seed 001 names provisioned groups `[SCIM] <displayName>`. */
  groupDisplayNamePrefix: string;
  /** Attributes of undeclared extension schemas are kept (true) or refused with 400 (false). */
  allowExtensionPassthrough: boolean;
  /** Whether SCIM `password` is accepted (stored as a scrypt hash) or ignored. */
  acceptPassword: boolean;
  /** Entra app-role value → web access role. Values not listed are refused with 400. */
  roleMap: Record<string, WebRole>;
  /** What DELETE does: remove the row, or only deactivate it (seed 001 supports both). */
  deleteMode: 'delete' | 'deactivate';
  /** Claims tried, in order, to match a sign-in to a user's userName when `oid` finds none. */
  ssoMatchClaims: Array<'preferred_username' | 'upn' | 'email'>;
  /** Create an unknown user at first sign-in (off by default). */
  ssoJitProvisioning: boolean;
  /**
   * How users provisioned from now on sign in: `auto` (Entra SSO once OpenID Connect is set,
   * else built-in), or always `sso` / `builtin`. Existing users keep theirs (bulk switch in admin).
   */
  newUserLoginMethod: 'auto' | LoginMethod;
  /** User attributes that must be present (seed 002: name.givenName, name.familyName; seed 000: emails). */
  requiredAttributes: string[];
  /** Accepted values per attribute path (seed 000: emails.type work/other; seed 002: userType Premium/Standard). */
  allowedValues: Record<string, string[]>;
  /** Attributes set on creation and kept afterwards (seed 001: locale). */
  createOnlyAttributes: string[];
  /** userName never changes after insert (seed 003). */
  userNameImmutable: boolean;
}

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
  version: number;
  document: ResourceDocument;
  createdAt: Date;
  updatedAt: Date;
  /** Filled only when asked for (the readOnly `groups` attribute). */
  groups?: GroupRef[];
}

export interface GroupRef { id: string; displayName: string }

export interface UserWrite {
  document: ResourceDocument;
  webRole?: WebRole | null;
  loginMethod?: LoginMethod;
  /** A password hash (never the password). Undefined keeps the current one on replace. */
  passwordHash?: string | null;
  protected?: boolean;
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

export interface GroupMember { value: string; display: string | null }

export interface MemberInput { value: string; display?: string | null }

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
