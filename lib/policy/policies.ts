import type { Logger } from 'winston';
import type { IdentityStore } from '../store/index.js';
import { AuditWriter } from './audit.js';
import { ConnectorWrites } from './connectors.js';
import { GroupWrites } from './groups.js';
import { LoginMethods } from './login-method.js';
import { SignIns } from './sign-in.js';
import { TokenWrites } from './tokens.js';
import { UserWrites } from './user-writes.js';
import { WorkspacePolicy } from './workspaces.js';

/**
 * One policy module per resource, each the only path of its writes, all over one audit writer.
 * The connector's Runtime (web/runtime.ts) and the CLI build them here; OIDC settings (oidc.ts)
 * also need the secret box, so the Runtime adds them.
 */
export interface Policies {
  /** The provisioning log's one writer. */
  audit: AuditWriter;
  /** Users: SCIM, SSO just-in-time creation, admin toggles, the host. */
  users: UserWrites;
  /** Groups and memberships. */
  groups: GroupWrites;
  /** Systam's workspaces: registration, and the re-decisions every user and group write makes. */
  workspaces: WorkspacePolicy;
  /** Connectors: creation, settings, the default group, resuming deprovisioning. */
  connectors: ConnectorWrites;
  /** SCIM tokens. */
  tokens: TokenWrites;
  /** Login methods: who may be switched to SSO, and the switch. */
  loginMethods: LoginMethods;
  /** Sign-ins through Entra: their audit rows, events and the connector's SSO verification. */
  signIns: SignIns;
}

/** Builds every policy module over the store (or one of its transactions' parents). */
export function createPolicies(store: IdentityStore, logger: Logger): Policies {
  const audit = new AuditWriter(store, logger);
  const workspaces = new WorkspacePolicy(audit);
  const users = new UserWrites(audit, logger, workspaces);
  return {
    audit,
    users,
    workspaces,
    groups: new GroupWrites(audit, workspaces),
    connectors: new ConnectorWrites(audit),
    tokens: new TokenWrites(audit),
    loginMethods: new LoginMethods(audit, users),
    signIns: new SignIns(audit),
  };
}
