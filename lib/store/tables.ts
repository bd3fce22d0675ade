/** Physical table names for one table prefix. Every query and migration goes through this. */
export interface TableNames {
  connectors: string;
  scimTokens: string;
  users: string;
  userValues: string;
  userAddresses: string;
  userExtensions: string;
  groups: string;
  groupMembers: string;
  auditEvents: string;
  workspaces: string;
  userWorkspaces: string;
  rateCounters: string;
  deprovisionings: string;
  appSignInCodes: string;
  migrations: string;
  migrationsLock: string;
  /** The cluster-wide migration lease (Galera), see migration-lease.ts. */
  migrationLease: string;
}

const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,15}$|^$/;

export function isValidTablePrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

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

export const DEFAULT_TABLE_PREFIX = 'idc_';
