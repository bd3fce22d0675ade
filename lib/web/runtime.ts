import type { Logger } from 'winston';
import { SecretBox } from '../crypto/secret-box.js';
import type { IdentityEvents } from '../model/events.js';
import { OidcSettings } from '../policy/oidc.js';
import { createPolicies, type Policies } from '../policy/policies.js';
import type { ResolvedOptions } from '../runtime/options.js';
import type { IdentityStore } from '../store/index.js';
import { isMigrated } from '../store/migrate.js';
import type { CounterStore } from '../model/counters.js';
import { ExternalCounterStore, MemoryCounterStore } from '../runtime/counter-stores.js';
import { CounterHealth } from '../runtime/shared-limit.js';
import { DiscoveryCache } from '../runtime/oidc-discovery.js';
import { UserPurge } from '../runtime/user-purge.js';

/** What every router, middleware and command of the connector is built from: its policy modules among them. */
export interface Runtime extends Policies {
  store: IdentityStore;
  options: ResolvedOptions;
  events: IdentityEvents;
  secrets: SecretBox;
  logger: Logger;
  /** OpenID Connect settings: validated, the secret encrypted, audited. */
  oidc: OidcSettings;
  /** OpenID Connect discovery per connector, shared by the sign-in routes and OIDC settings changes. */
  discovery: DiscoveryCache;
  /** The rate limits' shared counters (options.rateLimitStore) and their fail-open state. */
  counters: CounterStore;
  counterHealth: CounterHealth;
  /** The deleted users' purge of their search rows: started by the connector (lib/index.ts), not by the CLI. */
  purge: UserPurge;
}

/** The one place a Runtime is assembled (the connector and the CLI both use it). */
export function createRuntime(store: IdentityStore, options: ResolvedOptions): Runtime {
  const policies = createPolicies(store, options.logger);
  const secrets = new SecretBox(options.secretKey);
  const discovery = new DiscoveryCache({ store, secrets, options, logger: options.logger });
  const oidc = new OidcSettings(policies.audit, {
    encrypt: (plain) => secrets.encrypt(plain),
    allowInsecureIssuer: options.allowInsecureIssuer,
    logger: options.logger,
    changed: (connectorId) => discovery.invalidate(connectorId),
  });
  logConflicts(store.events, options.logger);
  return {
    ...policies,
    store,
    options,
    events: store.events,
    secrets,
    logger: options.logger,
    oidc,
    discovery,
    counters: counterStore(store, options),
    counterHealth: new CounterHealth(options.logger, options.clock),
    purge: new UserPurge(
      {
        purgeDeleted: (limit) => store.users.purgeDeleted(limit),
        migrated: () => isMigrated(store.knex, store.tablePrefix),
      },
      options.logger,
    ),
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
  return new ExternalCounterStore(chosen, options.rateLimitWindowMs);
}
