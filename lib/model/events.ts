import { EventEmitter } from 'node:events';
import type { Connector, ScimToken, StoredGroup, StoredUser, UserWorkspaces } from './types.js';

/**
 * The payload of `login.succeeded` and `login.failed`: a sign-in through Entra, or the host's login refused for the
 * user's login method. `reason` names the refusal in the vocabulary of `lib/sso/refusals.ts`.
 */
export interface LoginEvent {
  /** The connector the sign-in went through; null when none could be told (e.g. an unknown state). */
  connectorId: string | null;
  /** The user signed in or refused; null when no account was found. */
  userId: string | null;
  /** Why the sign-in was refused (e.g. `no_such_user`, `user_inactive`, `builtin_login_method`); absent on success. */
  reason?: string;
  /** The request's id, as in the log lines and the audit row. */
  requestId?: string;
}

/**
 * What the host can listen to on `identity.events`; payloads are the stored records after the change. Every
 * event but `database.conflict` fires only after its transaction commits, so a listener never sees a change that
 * was rolled back.
 */
export interface IdentityEventMap {
  /** A user was created (SCIM POST, just-in-time at first sign-in, the host or the CLI). */
  'user.created': [StoredUser];
  /** A create matched an existing user (matchOnCreate) and linked it: the user after the update. */
  'user.linked': [
    {
      /** The existing user, after the create's attributes were written to it. */
      user: StoredUser;
      /** The `matchOnCreate` key that found it. */
      matchedBy: 'email' | 'externalId';
    },
  ];
  /** A user's attributes, login method, web role or protection changed (PUT, PATCH, admin, host). */
  'user.updated': [StoredUser];
  /** A user became inactive (`active: false`, or a DELETE with `deleteMode: 'deactivate'`), after its `user.updated`. */
  'user.deactivated': [StoredUser];
  /** A user's row was deleted. */
  'user.deleted': [
    {
      /** The deleted user's id. */
      id: string;
      /** The connector it belonged to. */
      connectorId: string;
    },
  ];
  /** A group was created. */
  'group.created': [StoredGroup];
  /** A group's attributes changed (membership changes raise `membership.*`). */
  'group.updated': [StoredGroup];
  /** A group was deleted, and its memberships with it. */
  'group.deleted': [
    {
      /** The deleted group's id. */
      id: string;
      /** The connector it belonged to. */
      connectorId: string;
    },
  ];
  /** Users joined a group. */
  'membership.added': [
    {
      /** The group joined. */
      groupId: string;
      /** The group's connector. */
      connectorId: string;
      /** The users who joined (not those already members). */
      userIds: string[];
    },
  ];
  /** Users left a group. */
  'membership.removed': [
    {
      /** The group left. */
      groupId: string;
      /** The group's connector. */
      connectorId: string;
      /** The users who left, or `'all'` when every member was removed at once. */
      userIds: string[] | 'all';
    },
  ];
  /** A user's primary workspace or workspace set changed (a user write, a membership change, a workspace registered or removed). */
  'user.workspaces-changed': [
    {
      /** The user's connector. */
      connectorId: string;
      /** The user whose workspaces changed. */
      userId: string;
      /** The workspaces before the change. */
      before: UserWorkspaces;
      /** The workspaces after it. */
      after: UserWorkspaces;
    },
  ];
  /** A connector's name, settings, OIDC configuration or pause state changed. */
  'connector.updated': [Connector];
  /** A connector was deleted with its users, groups and tokens. */
  'connector.deleted': [
    {
      /** The deleted connector's id. */
      id: string;
    },
  ];
  /** The mass-deprovisioning guard paused the connector: once per pause, after it is stored. */
  'connector.deprovisioning-paused': [
    {
      /** The paused connector. */
      connectorId: string;
      /** When the pause was stored. */
      pausedAt: Date;
      /** How many deactivations and deletions the window counted, the refused one included. */
      deprovisioned: number;
      /** The count the window allows: the larger of `minimumUsers` and `percent` of the connector's users. */
      threshold: number;
      /** The guard's window, in minutes. */
      windowMinutes: number;
    },
  ];
  /** A SCIM token was revoked: the record after revocation. */
  'token.revoked': [ScimToken];
  /** A sign-in through Entra completed; fires after the `login` audit row commits. */
  'login.succeeded': [LoginEvent];
  /** A sign-in was refused, through Entra or by the host's login for the user's login method. */
  'login.failed': [LoginEvent];
  /**
   * A write lost a race and was rolled back whole (a deadlock, a Galera certification failure, a
   * PostgreSQL serialization failure): `retried` when it runs again, false once the retries are
   * spent and the client gets a 503. Raised at once, not after a commit.
   */
  'database.conflict': [
    {
      /** Which attempt lost (1 for the first). */
      attempt: number;
      /** Whether the write runs again. */
      retried: boolean;
      /** The database's error code (e.g. `ER_LOCK_DEADLOCK`, `40001`). */
      code: string;
    },
  ];
}

/** The name of an event of {@link IdentityEventMap}, e.g. `'user.created'`. */
export type IdentityEventName = keyof IdentityEventMap;

/**
 * The connector's events. A listener is the host's code running inside the connector's request:
 * what it throws, or an async listener's rejection, goes to `listenerFailed` (the connector logs
 * it), never back into the write that raised the event (already committed: its answer stands) and
 * never to the process as an unhandled rejection.
 */
export class IdentityEvents extends EventEmitter<IdentityEventMap> {
  /** Where a failing listener is reported; createIdentityConnector points it at the logger. */
  listenerFailed: (event: string, error: unknown) => void = () => undefined;

  constructor() {
    super({ captureRejections: true });
  }

  /** Node calls this for an async listener's rejection (captureRejections). */
  override [EventEmitter.captureRejectionSymbol]<K>(
    error: Error,
    event: keyof IdentityEventMap | K,
    ..._args: K extends keyof IdentityEventMap ? IdentityEventMap[K] : never
  ): void {
    this.listenerFailed(String(event), error);
  }
}

/**
 * Events raised inside a transaction are held until it commits, so listeners never see a
 * change that was rolled back.
 */
export class EventBuffer {
  private pending: Array<() => void> = [];
  constructor(
    private readonly target: IdentityEvents,
    private readonly deferred: boolean,
  ) {}

  emit<K extends IdentityEventName>(name: K, ...args: IdentityEventMap[K]): void {
    const fire = () => {
      try {
        this.target.emit(name, ...(args as never));
      } catch (error) {
        this.target.listenerFailed(name, error);
      }
    };
    if (this.deferred) this.pending.push(fire);
    else fire();
  }

  flush(): void {
    const pending = this.pending;
    this.pending = [];
    for (const fire of pending) fire();
  }
}
