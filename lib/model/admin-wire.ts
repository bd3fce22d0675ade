/**
 * The admin API's JSON shapes: what its routes answer and what the admin page renders, so
 * the page (views/) and the API (lib/admin/) share one contract without importing each other.
 */
import type { AuditEvent, ConnectorSettings, ScimToken, StoredUser } from './types.js';

/**
 * How the admin API sends a stored record: dates as ISO strings (what res.json would make of
 * them anyway), so the page renderer and API clients get the same shape the type promises.
 */
export type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** A date as the admin API sends it (ISO 8601, UTC), null kept. */
export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * Which organizations an admin administers, as the host's authorizeAdmin answers it: platform
 * staff get all of them, an organization's own admins a list of organization ids. Everything
 * outside the scope is invisible to them: lists leave it out, and by id it answers 404.
 */
export type AdminScope = (
  | {
      /** Every organization (platform staff). */
      organizations: 'all';
    }
  | {
      /** The ids of the organizations administered; empty: none. */
      organizations: string[];
    }
) & {
  /**
   * `'users'`: the organizations' users, their login methods and the provisioning log only (web
   * role Admin, see adminFromWebRole); connectors' settings, OIDC, tokens, workspaces and Entra
   * exports stay read-only or hidden. Absent or `'all'`: everything in the organizations.
   */
  manages?: 'users' | 'all';
};

/** A connector as admins see it: whether a client secret is stored, never the secret. */
export interface AdminConnector {
  id: string;
  organizationId: string;
  name: string;
  /** Entra's "Tenant URL" (one for every connector: the token picks the connector). */
  scimUrl: string;
  /** What to register in Entra under Authentication → Web → Redirect URIs. */
  redirectUri: string;
  /** What to register in Entra under Authentication → Mobile and desktop applications: the platform's apps' redirect URIs. */
  appRedirectUris: string[];
  oidc: { issuer: string | null; clientId: string | null; tenantId: string | null; hasClientSecret: boolean };
  settings: ConnectorSettings;
  defaultGroupId: string | null;
  /** When a sign-in through Entra first completed since OIDC was set; until then nobody can be switched to SSO. */
  ssoVerifiedAt: string | null;
  /** When the mass-deprovisioning guard paused deactivations and deletions; null: not paused. */
  deprovisioningPausedAt: string | null;
  liveTokenCount: number;
}

/** A workspace of the connector's organization, with how many of this connector's users are in it. */
export interface AdminWorkspace {
  id: string;
  name: string;
  createdAt: string;
  users: number;
  primaryUsers: number;
}

/** A group as the admin page lists it: its name and how many members it has (members are read separately). */
export interface AdminGroup {
  id: string;
  displayName: string;
  memberCount: number;
}

/**
 * A user as the admin page lists it: the columns admins act on (login method, web role, protection), not the
 * whole SCIM document.
 */
export interface AdminUserSummary {
  id: string;
  connectorId: string;
  userName: string;
  displayName: string | null;
  externalId: string | null;
  active: boolean;
  loginMethod: StoredUser['loginMethod'];
  webRole: StoredUser['webRole'];
  /** Protected by the platform (Systam's Organization Owners): Entra's updates and deletes answer 403. */
  protected: boolean;
}

/**
 * A token as admins see it: never its value or hash, only the short prefix to recognise it by;
 * `live` = accepted by the SCIM endpoint now (neither revoked nor expired).
 */
export type AdminToken = Omit<Wire<ScimToken>, 'connectorId'> & { live: boolean };

/**
 * An event of the provisioning log; the connector is the one in the URL. Group entries name the
 * members added and removed (userNames; the id of a user deleted since).
 */
export type AdminAuditEvent = Omit<Wire<AuditEvent>, 'connectorId'> & {
  membersAdded: string[];
  membersRemoved: string[];
  /** The admin who made the change: their userName when they are a user of this connector, else the id the host named. */
  by: string | null;
};
