import type { Logger } from 'winston';
import type { SecretBox } from './crypto/secret-box.js';
import type { IdentityEvents } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { IdentityStore } from './store/index.js';

/** What every router and middleware of the connector is built from. */
export interface Runtime {
  store: IdentityStore;
  options: ResolvedOptions;
  events: IdentityEvents;
  secrets: SecretBox;
  logger: Logger;
}
