import type { Logger } from 'winston';
import { SecretBox } from '../crypto/secret-box.js';
import type { IdentityEvents } from '../model/events.js';
import { AuditWriter } from '../policy/audit.js';
import { UserWrites } from '../policy/user-writes.js';
import { WorkspacePolicy } from '../policy/workspaces.js';
import type { ResolvedOptions } from '../runtime/options.js';
import type { IdentityStore } from '../store/index.js';
import type { CounterStore } from '../model/counters.js';
import { RATE_LIMIT_WINDOW_MS } from '../model/limits.js';
import { ExternalCounterStore, MemoryCounterStore } from '../runtime/counter-stores.js';
import { CounterHealth } from '../runtime/shared-limit.js';

/** What every router, middleware and command of the connector is built from. */
export interface Runtime {
  store: IdentityStore;
  options: ResolvedOptions;
  events: IdentityEvents;
  secrets: SecretBox;
  logger: Logger;
  /** The provisioning log's one writer. */
  audit: AuditWriter;
  /** The one path of every user write. */
  users: UserWrites;
  /** Systam's primary workspace: group writes and the host's workspace registrations re-decide through it. */
  workspaces: WorkspacePolicy;
  /** The rate limits' shared counters (options.rateLimitStore) and their fail-open state. */
  counters: CounterStore;
  counterHealth: CounterHealth;
}

/** The one place a Runtime is assembled (the connector and the CLI both use it). */
export function createRuntime(store: IdentityStore, options: ResolvedOptions): Runtime {
  const audit = new AuditWriter(store, options.logger);
  const workspaces = new WorkspacePolicy(audit);
  logConflicts(store.events, options.logger);
  return {
    store, options, events: store.events, secrets: new SecretBox(options.secretKey), logger: options.logger, audit, users: new UserWrites(audit, options.logger, workspaces), workspaces,
    counters: counterStore(store, options), counterHealth: new CounterHealth(options.logger),
  };
}

/** Lost races retried inside the connector (debug), and those whose retries were spent (warn: the client got a 503). */
function logConflicts(events: IdentityEvents, logger: Logger): void {
  events.on('database.conflict', ({ attempt, retried, code }) => {
    if (retried) logger.debug('database conflict: retrying the write', { attempt, code });
    else logger.warn('database conflict: retries spent, answering 503', { attempts: attempt, code });
  });
}

function counterStore(store: IdentityStore, options: ResolvedOptions): CounterStore {
  const chosen = options.rateLimitStore;
  if (chosen === 'database') return store.counters;
  if (chosen === 'memory') return new MemoryCounterStore();
  return new ExternalCounterStore(chosen, RATE_LIMIT_WINDOW_MS);
}
