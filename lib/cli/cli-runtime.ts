import { defaultLogger } from '../runtime/log.js';
import { OptionsError, resolveOptions } from '../runtime/options.js';
import type { IdentityStore } from '../store/index.js';
import { createRuntime, type Runtime } from '../web/runtime.js';
import { readEnvironment } from '../runtime/environment.js';

/**
 * The Runtime of a CLI command that needs the host's secret key (to encrypt or decrypt a client
 * secret) and the server's settings: the same IDENTITY_SECRET_KEY, BASE_URL, MOUNT_PATH and
 * IDENTITY_ALLOW_INSECURE_ISSUER the server runs with. `why` says what the key is needed for.
 */
export function cliRuntime(store: IdentityStore, why: string): Runtime {
  const environment = readEnvironment();
  const key = environment.secretKey({ create: false });
  if (!key) throw new OptionsError(`set IDENTITY_SECRET_KEY (the same value the server uses): ${why}`);
  const options = resolveOptions(
    {
      knex: store.knex,
      baseUrl: environment.baseUrl,
      mountPath: environment.mountPath,
      secretKey: key,
      tablePrefix: store.tablePrefix,
      allowInsecureIssuer: environment.allowInsecureIssuer,
    },
    defaultLogger,
  );
  return createRuntime(store, options);
}
