import type { Logger } from 'winston';
import { entraObjectIdOf } from '../model/entra-ids.js';
import { Conflict, NotFound, PolicyRefusal, PreconditionFailed } from '../model/errors.js';
import { userRegistryFor } from '../model/schemas/extension-sets.js';
import { documentRules } from '../model/settings.js';
import type {
  Connector,
  DeprovisionGuard,
  LoginMethod,
  ResourceDocument,
  StoredUser,
  UserWrite,
  WebRole,
} from '../model/types.js';
import { normalizeResource, primaryEmail } from '../model/validate/normalize.js';
import { normalizeKey } from '../store/keys.js';
import type { IdentityStore } from '../store/index.js';
import type { ReadOptions } from '../store/users.js';
import { changedAttributes, changedValues, type AuditContext, type AuditWriter } from './audit.js';
import { hashPassword } from './password.js';
import { decideWebRole } from './roles.js';
import { newUserLoginMethod } from './login-method.js';
import { applyUserPolicy } from './user-policy.js';
import { userWorkspacesDetail, WorkspacePolicy } from './workspaces.js';

/** How a write may proceed: If-Match's version, and what the answer needs read back. */
export interface WriteOptions {
  /**
   * The version the caller last read (SCIM's `If-Match`, RFC 7644 §3.14): the write is refused with
   * `PreconditionFailed` when the user has changed since. Undefined: no check.
   */
  expectedVersion?: number;
  /** What the answer reads back with the user (e.g. `withGroups`). */
  read?: Omit<ReadOptions, 'forUpdate'>;
}

/** What only the host or an admin decides on creation (SCIM and SSO leave these to the rules). */
export interface CreateOptions extends WriteOptions {
  /** How the user signs in; default: the connector's `newUserLoginMethod` (`auto`: SSO once OIDC is set). */
  loginMethod?: LoginMethod;
  /** A built-in login password, hashed here; SCIM's `password` attribute goes by `acceptPassword`. */
  password?: string;
  /** Protects the user from provisioning: SCIM may then neither change nor delete it (403). Default false. */
  protected?: boolean;
}

/** A change to the platform's columns of a user (admin toggles, CLI recovery). */
export interface AccessChange {
  /** The new login method; undefined keeps it. Switching to SSO is the caller's to check (`ssoSwitchRefusal`). */
  loginMethod?: LoginMethod;
  /** The new web role, null for none; undefined keeps it. */
  webRole?: WebRole | null;
  /** Whether the user is protected from provisioning; undefined keeps it. */
  protected?: boolean;
  /** A new built-in login password (hashed here with scrypt), null to remove it; undefined keeps it. */
  password?: string | null;
}

/**
 * The one path every user write takes — SCIM POST/PUT/PATCH/DELETE, SSO just-in-time creation,
 * admin changes and the host's own code — so each decision is made once, here:
 * normalisation against the schemas, the connector's rules (required attributes, allowed
 * values, create-only attributes, immutable userName, protected users), the login-method default,
 * the web role from roles, password hashing and the user's workspaces (workspaces.ts). The store
 * then takes decided values. A write
 * reads its locked row once, and its audit row commits in the same transaction.
 */
export class UserWrites {
  /** `workspaces`: the primary-workspace decision every write re-makes in its transaction (Systam). */
  constructor(
    private readonly audit: AuditWriter,
    private readonly logger: Logger,
    private readonly workspaces = new WorkspacePolicy(audit),
  ) {}

  /**
   * Creates a user from a client's resource body (or an internally built one). Where the
   * connector says so (matchOnCreate), an existing user of the connector with the same email or
   * externalId is linked and updated instead: Entra then manages the account the host made.
   */
  async create(
    connector: Connector,
    body: unknown,
    context: AuditContext,
    options: CreateOptions = {},
  ): Promise<StoredUser> {
    const document = normalizeResource(userRegistryFor(connector.settings), body, {
      mode: 'create',
      ...documentRules(connector.settings),
    });
    const passwordHash = options.password ? await hashPassword(options.password) : undefined;
    return this.audit.change(context, async (tx) => {
      const match = await this.linkCandidate(tx, connector, document);
      if (match) return this.link(tx, connector, match, document, passwordHash, options);
      const { write, unmappedRoles } = await this.decide(connector, document);
      if (passwordHash) write.passwordHash = passwordHash;
      const loginMethod = options.loginMethod ?? newUserLoginMethod(connector);
      const user = await tx.users.create(
        connector.id,
        { ...write, loginMethod, protected: options.protected, resourceKind: connector.settings.resourceKind },
        options.read,
      );
      // A new user has no workspace recorded: nothing to read.
      const workspaces = await this.workspaces.redecide(
        tx,
        connector,
        [user.id],
        new Map([[user.id, { primary: null, workspaces: [] }]]),
      );
      return {
        value: user,
        record: userRecord(user, 'user.create', {
          userName: user.userName,
          loginMethod,
          webRole: user.webRole,
          ...unmapped(unmappedRoles),
          ...userWorkspacesDetail(workspaces),
        }),
      };
    });
  }

  /**
   * The user a create links to, locked: one user of the connector with the document's email
   * (primary first) or externalId that no other Entra object claims. Several matches are a
   * conflict: linking one at random could hand an account to the wrong person.
   */
  private async linkCandidate(
    tx: IdentityStore,
    connector: Connector,
    document: ResourceDocument,
  ): Promise<{ user: StoredUser; by: 'email' | 'externalId' } | undefined> {
    const by = connector.settings.matchOnCreate;
    if (by === 'none') return undefined;
    const key =
      by === 'email'
        ? primaryEmail(document)
        : typeof document.externalId === 'string'
          ? document.externalId
          : undefined;
    if (!key) return undefined;
    const found =
      by === 'email'
        ? await tx.users.findByEmail(connector.id, key)
        : await tx.users.findByExternalId(connector.id, key);
    if (found.length > 1)
      throw new Conflict(`several users of this connector match ${by} "${key}"; link one by hand`, { field: by });
    const [candidate] = found;
    if (!candidate || (candidate.externalId !== null && candidate.externalId !== document.externalId)) return undefined;
    const user = await tx.users.lock(connector.id, candidate.id);
    if (!user) return undefined;
    refuseProtected(user);
    return { user, by };
  }

  /** The matched user takes the document as a PUT would; its login method stays the one the host chose. */
  private async link(
    tx: IdentityStore,
    connector: Connector,
    match: { user: StoredUser; by: 'email' | 'externalId' },
    document: ResourceDocument,
    passwordHash: string | undefined,
    options: CreateOptions,
  ) {
    const { write, unmappedRoles } = await this.decide(connector, document, match.user.document);
    if (passwordHash) write.passwordHash = passwordHash;
    const user = await tx.users.write(match.user, write, options.read);
    tx.users.announceLink(user, match.by);
    const workspaces = await this.workspaces.redecide(tx, connector, [user.id]);
    return {
      value: user,
      record: userRecord(user, 'user.link', {
        matchedBy: match.by,
        userName: user.userName,
        changed: changedAttributes(match.user.document, write.document),
        ...unmapped(unmappedRoles),
        ...userWorkspacesDetail(workspaces),
      }),
    };
  }

  /** PUT: the body replaces the document. Null when it deleted the user (see `update`). */
  replace(
    connector: Connector,
    id: string,
    body: unknown,
    context: AuditContext,
    options: WriteOptions = {},
  ): Promise<StoredUser | null> {
    const document = normalizeResource(userRegistryFor(connector.settings), body, {
      mode: 'replace',
      ...documentRules(connector.settings),
    });
    return this.update(connector, id, 'user.replace', () => document, context, options);
  }

  /**
   * A change computed from the locked current document (PATCH: the SCIM engine applies the
   * operations; it answers undefined when nothing changes, and then nothing is written).
   * Null when the change deactivated the user on a connector whose `onDeactivate` is `delete`:
   * the user no longer exists, so there is no state to answer with.
   */
  update(
    connector: Connector,
    id: string,
    operation: string,
    change: (current: StoredUser) => ResourceDocument | undefined,
    context: AuditContext,
    options: WriteOptions = {},
  ): Promise<StoredUser | null> {
    return this.guarded(connector, context, () =>
      this.audit.change<StoredUser | null>(context, async (tx) => {
        const current = await this.locked(tx, connector, id, options);
        const next = change(current);
        if (!next) return { value: current, record: userRecord(current, operation, { changed: [] }) };
        const { write, unmappedRoles } = await this.decide(connector, next, current.document);
        const deactivating = current.active && write.document.active === false;
        if (deactivating) await this.checkDeprovisioning(tx, connector, current.id);
        if (deactivating && connector.settings.onDeactivate === 'delete') {
          // Systam: disabling in Entra deletes the account; re-enabling later creates a new one.
          await tx.users.remove(current);
          // Nothing is left to answer with: HTTP callers answer 204 (not the 200 a PUT announced).
          const status = context.status == null ? undefined : 204;
          return {
            value: null,
            record: {
              ...userRecord(current, 'user.delete', { userName: current.userName, onDeactivate: 'delete' }),
              status,
            },
          };
        }
        const user = await tx.users.write(current, write, options.read);
        const workspaces = await this.workspaces.redecide(tx, connector, [user.id]);
        const changed = changedAttributes(current.document, write.document);
        const values = changedValues(current.document, write.document, changed);
        return {
          value: user,
          record: userRecord(user, operation, {
            changed,
            ...(Object.keys(values).length ? { values } : {}),
            ...unmapped(unmappedRoles),
            ...userWorkspacesDetail(workspaces),
          }),
        };
      }),
    );
  }

  /** DELETE: removes the user, or deactivates it where the connector's deleteMode says so. */
  delete(connector: Connector, id: string, context: AuditContext, options: WriteOptions = {}): Promise<void> {
    return this.guarded(connector, context, () =>
      this.audit.change(context, async (tx) => {
        const current = await this.locked(tx, connector, id, options);
        await this.checkDeprovisioning(tx, connector, current.id);
        if (connector.settings.deleteMode === 'deactivate') {
          await tx.users.write(current, { document: { ...current.document, active: false } });
          return { value: undefined, record: userRecord(current, 'user.delete', { deleteMode: 'deactivate' }) };
        }
        await tx.users.remove(current);
        return { value: undefined, record: userRecord(current, 'user.delete', { userName: current.userName }) };
      }),
    );
  }

  /**
   * The mass-deprovisioning guard, inside a deactivation's or deletion's transaction: refused
   * while the connector is paused; the write that would take the window's count over the
   * threshold is refused too, and (after its rollback, in `guarded`) pauses the connector.
   * The count is read without locks first: when it is more than IN_FLIGHT_MARGIN below the
   * threshold, the deprovisioning writes it cannot see (in flight, not yet committed) cannot take
   * it over, so the write goes on without waiting for anyone. Near the threshold it is read
   * again, locked (the store's `locked` load), and compared exactly.
   */
  private async checkDeprovisioning(tx: IdentityStore, connector: Connector, userId: string): Promise<void> {
    const guard = connector.settings.deprovisionGuard;
    if (!guard) return;
    const since = Date.now() - guard.windowMinutes * 60_000;
    let load = await tx.connectors.deprovisioningLoad(connector.id, since);
    if (load.paused) throw new PolicyRefusal('paused', PAUSED_MESSAGE);
    if ((await withinThreshold(tx, connector.id, guard, load.recent + 1 + IN_FLIGHT_MARGIN)) !== true) {
      load = await tx.connectors.deprovisioningLoad(connector.id, since, true);
      if (load.paused) throw new PolicyRefusal('paused', PAUSED_MESSAGE);
      const count = load.recent + 1;
      const threshold = await withinThreshold(tx, connector.id, guard, count);
      if (threshold !== true)
        throw new GuardTripped({ deprovisioned: count, threshold, windowMinutes: guard.windowMinutes });
    }
    await tx.connectors.recordDeprovisioning(connector.id, userId, load.oldest);
  }

  /** Runs a deprovisioning write; when it tripped the guard, pauses the connector (audited, logged) and refuses. */
  private async guarded<T>(connector: Connector, context: AuditContext, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof GuardTripped)) throw error;
      // Concurrent writes can all trip the guard; only the one whose UPDATE paused it (1 row) is the pause.
      const paused = await this.audit.change(context, async (tx) => {
        const pausedNow = await tx.connectors.pauseDeprovisioning(connector.id, error.trip);
        const record = {
          connectorId: connector.id,
          operation: 'connector.deprovisioning-paused',
          resourceType: 'Connector',
          resourceId: connector.id,
          detail: error.trip,
        };
        return { value: pausedNow, record: pausedNow ? record : null };
      });
      if (paused)
        this.logger.warn(
          'mass-deprovisioning guard paused the connector: deactivations and deletions wait for an admin to resume them',
          { connectorId: connector.id, requestId: context.requestId ?? undefined, ...error.trip },
        );
      throw error;
    }
  }

  /**
   * Records the Entra object a push to Entra created for this user (Graph `POST /users`) as its
   * externalId, so that Entra's provisioning and SSO (`oid`) find the same account and a second
   * push skips it. Only the link changes: the rest of the document is the platform's, already
   * decided. A user linked to another object meanwhile is a conflict, never overwritten.
   */
  linkToEntraObject(connector: Connector, id: string, objectId: string, context: AuditContext): Promise<StoredUser> {
    return this.audit.change(context, async (tx) => {
      const current = await tx.users.lock(connector.id, id);
      if (!current) throw new NotFound(`user ${id} not found`);
      if (current.externalId !== null && current.externalId !== objectId) {
        throw new Conflict(`user ${id} is already linked to Entra object ${current.externalId}`, {
          field: 'externalId',
        });
      }
      const user = await tx.users.write(current, {
        document: { ...current.document, externalId: objectId },
        entraObjectId: entraObjectIdOf(objectId),
      });
      return {
        value: user,
        record: userRecord(user, 'user.entra-push', {
          userName: user.userName,
          externalId: { from: current.externalId, to: objectId },
        }),
      };
    });
  }

  /**
   * Records the Entra account (`oid`) a verified sign-in in the connector's tenant matched this
   * user by name, so that later sign-ins find it by `oid` whatever externalId provisioning sends
   * (Entra's default: mailNickname). Only the column changes, not the SCIM document. A user
   * linked to another account meanwhile is a conflict, never overwritten.
   */
  learnEntraObjectId(connector: Connector, id: string, objectId: string, context: AuditContext): Promise<StoredUser> {
    return this.audit.change(context, async (tx) => {
      const current = await tx.users.lock(connector.id, id);
      if (!current) throw new NotFound(`user ${id} not found`);
      const oid = objectId.toLowerCase();
      if (current.entraObjectId === oid)
        return { value: current, record: userRecord(current, 'user.sso-link', { changed: [] }) };
      if (current.entraObjectId !== null) {
        throw new Conflict(`user ${id} signs in as Entra object ${current.entraObjectId}`, { field: 'entraObjectId' });
      }
      const user = await tx.users.setAccess(current, { entraObjectId: oid });
      return {
        value: user,
        record: userRecord(user, 'user.sso-link', { userName: user.userName, entraObjectId: oid }),
      };
    });
  }

  /**
   * Changes the platform's columns. Protected users are protected from provisioning, not from
   * the platform's own admins, so this path does not refuse them.
   */
  setAccess(
    connector: Connector,
    id: string,
    change: AccessChange,
    context: AuditContext,
    operation = 'user.access',
    note?: Record<string, unknown>,
  ): Promise<StoredUser> {
    return this.audit.change(context, async (tx) => {
      const current = await tx.users.lock(connector.id, id);
      if (!current) throw new NotFound(`user ${id} not found`);
      const { password, ...columns } = change;
      const write: Omit<UserWrite, 'document'> = { ...columns };
      if (password !== undefined) write.passwordHash = password === null ? null : await hashPassword(password);
      const user = await tx.users.setAccess(current, write);
      const shown = Object.fromEntries(
        Object.entries(columns).map(([k, v]) => [k, { from: current[k as keyof typeof columns], to: v }]),
      );
      return {
        value: user,
        record: userRecord(user, operation, {
          ...shown,
          ...(password !== undefined ? { password: 'changed' } : {}),
          ...note,
        }),
      };
    });
  }

  /** The row a write applies to, locked, at the version If-Match names; protected users are refused. */
  private async locked(
    tx: IdentityStore,
    connector: Connector,
    id: string,
    options: WriteOptions,
  ): Promise<StoredUser> {
    const current = await tx.users.lock(connector.id, id, options.read);
    if (!current) throw new NotFound(`user ${id} not found`);
    refuseProtected(current);
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
      throw new PreconditionFailed(
        `user ${id} changed since version ${options.expectedVersion}; read it again and retry with its ETag`,
        current.version,
      );
    }
    return current;
  }

  /** The connector's rules over a normalised document, then the values the store takes. */
  private async decide(
    connector: Connector,
    document: ResourceDocument,
    previous?: ResourceDocument,
  ): Promise<{ write: UserWrite; unmappedRoles: string[] }> {
    const { password, ...rest } = applyUserPolicy(connector.settings, document, previous);
    const roles = decideWebRole(rest.roles, connector.settings);
    const write: UserWrite = { document: rest, webRole: roles.webRole, emailKey: uniqueEmailKey(connector, rest) };
    // A GUID externalId is the Entra object id (objectId → externalId); any other keeps the one learnt at sign-in.
    const objectId = entraObjectIdOf(rest.externalId);
    if (objectId) write.entraObjectId = objectId;
    // normalizeResource kept `password` only if the connector accepts it.
    if (typeof password === 'string' && password !== '') write.passwordHash = await hashPassword(password);
    return { write, unmappedRoles: roles.unmapped };
  }
}

/** The key `uniqueEmail` holds unique: the primary email, normalised as userName is; null when the setting is off. */
function uniqueEmailKey(connector: Connector, document: ResourceDocument): string | null {
  const email = connector.settings.uniqueEmail ? primaryEmail(document) : undefined;
  return email ? normalizeKey(email) : null;
}

/** Systam: protected users (Organization Owners) are the platform's, not Entra's. */
function refuseProtected(user: StoredUser): void {
  if (user.protected)
    throw new PolicyRefusal(
      'protected',
      `user ${user.id} is protected by the platform and cannot be changed through provisioning`,
    );
}

/**
 * Deprovisioning writes of one connector that may be in flight at once (across instances)
 * without the guard's count locking: more than that many, all deciding within this margin of the
 * threshold, could overshoot it by the excess. Each instance runs at most its pool's connections
 * (10 on MariaDB) of transactions at once; Entra sends a handful of requests at a time.
 */
const IN_FLIGHT_MARGIN = 64;

/**
 * True when `count` deprovisionings are within the guard's threshold (the larger of
 * minimumUsers and percent of the connector's users); otherwise the threshold. The users are
 * counted only up to the number that decides it, not all.
 */
async function withinThreshold(
  tx: IdentityStore,
  connectorId: string,
  guard: DeprovisionGuard,
  count: number,
): Promise<true | number> {
  if (count <= guard.minimumUsers) return true;
  const enough = Math.ceil((count * 100) / guard.percent);
  const users = await tx.users.countUpTo(connectorId, enough);
  const threshold = Math.max(guard.minimumUsers, Math.floor((users * guard.percent) / 100));
  return count <= threshold ? true : threshold;
}

const PAUSED_MESSAGE =
  'deprovisioning is paused: this connector deactivated or deleted more users than its deprovisionGuard allows within the window; an admin must confirm and resume it';

/** The write that crossed the threshold: refused like any write while paused, and it pauses the connector. */
class GuardTripped extends PolicyRefusal {
  constructor(readonly trip: { deprovisioned: number; threshold: number; windowMinutes: number }) {
    super('paused', PAUSED_MESSAGE);
  }
}

const userRecord = (user: StoredUser, operation: string, detail: Record<string, unknown>) => ({
  connectorId: user.connectorId,
  operation,
  resourceType: 'User',
  resourceId: user.id,
  detail,
});

/** An app-role value the role map does not know gives no web role; the log says so. */
const unmapped = (values: string[]) => (values.length ? { unmappedRoles: values } : {});
