/** Physical table names for one table prefix. Every query and migration goes through this. */
export interface TableNames {
  /** Connectors, their settings and OIDC configuration. */
  connectors: string;
  /** SCIM bearer tokens (hashes only). */
  scimTokens: string;
  /** Users: the indexed columns and the SCIM document. */
  users: string;
  /** The users' multi-valued attribute values (emails, phone numbers, …), for filters. */
  userValues: string;
  /** The users' addresses, for filters. */
  userAddresses: string;
  /** The users' extension attribute values, for filters. */
  userExtensions: string;
  /** Deleted users whose rows in the three tables above are still to be removed (users.ts, `purgeDeleted`). */
  userPurges: string;
  /** Groups. */
  groups: string;
  /** Group memberships. */
  groupMembers: string;
  /** The provisioning log. */
  auditEvents: string;
  /** The workspaces hosts register per organization. */
  workspaces: string;
  /** Which workspaces each user is in. */
  userWorkspaces: string;
  /** The rate limits' shared hit counters. */
  rateCounters: string;
  /** The mass-deprovisioning guard's recent deactivations and deletions. */
  deprovisionings: string;
  /** One-time codes of mobile and desktop sign-in. */
  appSignInCodes: string;
  /** Knex's migration log for these tables. */
  migrations: string;
  /** Knex's migration lock. */
  migrationsLock: string;
  /** The cluster-wide migration lease (Galera), see migration-lease.ts. */
  migrationLease: string;
}

const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,15}$|^$/;

/**
 * Whether a table prefix is allowed: empty, or up to 16 letters, digits or underscores starting with a letter (the
 * prefix is put into SQL as an identifier, so nothing else may pass).
 */
export function isValidTablePrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

/**
 * The physical table names for a prefix.
 *
 * @throws Error when the prefix is not valid ({@link isValidTablePrefix}); `createIdentityConnector` checks it first as an `OptionsError`.
 */
export function tableNames(prefix: string): TableNames {
  if (!isValidTablePrefix(prefix)) {
    throw new Error(
      `tablePrefix "${prefix}" is invalid: use up to 16 letters, digits or underscores, starting with a letter`,
    );
  }
  return {
    connectors: `${prefix}connectors`,
    scimTokens: `${prefix}scim_tokens`,
    users: `${prefix}users`,
    userValues: `${prefix}user_values`,
    userAddresses: `${prefix}user_addresses`,
    userExtensions: `${prefix}user_extensions`,
    userPurges: `${prefix}user_purges`,
    groups: `${prefix}groups`,
    groupMembers: `${prefix}group_members`,
    auditEvents: `${prefix}audit_events`,
    workspaces: `${prefix}workspaces`,
    userWorkspaces: `${prefix}user_workspaces`,
    rateCounters: `${prefix}rate_counters`,
    deprovisionings: `${prefix}deprovisionings`,
    appSignInCodes: `${prefix}app_sign_in_codes`,
    migrations: `${prefix}knex_migrations`,
    migrationsLock: `${prefix}knex_migrations_lock`,
    migrationLease: `${prefix}migration_lease`,
  };
}

/** The `tablePrefix` option's default: every table is `idc_<name>`. */
export const DEFAULT_TABLE_PREFIX = 'idc_';
