import { EventEmitter } from 'node:events';
import type { Connector, ScimToken, StoredGroup, StoredUser, UserWorkspaces } from './types.js';

export interface LoginEvent {
  connectorId: string | null;
  userId: string | null;
  reason?: string;
  requestId?: string;
}

/** What the host can listen to; payloads are the stored records after the change. */
export interface IdentityEventMap {
  'user.created': [StoredUser];
  /** A create matched an existing user (matchOnCreate) and linked it: the user after the update. */
  'user.linked': [{ user: StoredUser; matchedBy: 'email' | 'externalId' }];
  'user.updated': [StoredUser];
  'user.deactivated': [StoredUser];
  'user.deleted': [{ id: string; connectorId: string }];
  'group.created': [StoredGroup];
  'group.updated': [StoredGroup];
  'group.deleted': [{ id: string; connectorId: string }];
  'membership.added': [{ groupId: string; connectorId: string; userIds: string[] }];
  'membership.removed': [{ groupId: string; connectorId: string; userIds: string[] | 'all' }];
  /** A user's primary workspace or workspace set changed (a user write, a membership change, a workspace registered or removed). */
  'user.workspaces-changed': [{ connectorId: string; userId: string; before: UserWorkspaces; after: UserWorkspaces }];
  'connector.updated': [Connector];
  'connector.deleted': [{ id: string }];
  /** The mass-deprovisioning guard paused the connector: once per pause, after it is stored. */
  'connector.deprovisioning-paused': [
    { connectorId: string; pausedAt: Date; deprovisioned: number; threshold: number; windowMinutes: number },
  ];
  'token.revoked': [ScimToken];
  'login.succeeded': [LoginEvent];
  'login.failed': [LoginEvent];
  /**
   * A write lost a race and was rolled back whole (a deadlock, a Galera certification failure, a
   * PostgreSQL serialization failure): `retried` when it runs again, false once the retries are
   * spent and the client gets a 503. Raised at once, not after a commit.
   */
  'database.conflict': [{ attempt: number; retried: boolean; code: string }];
}

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
