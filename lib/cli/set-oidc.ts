import { defaultLogger } from '../runtime/log.js';
import { OptionsError, resolveOptions } from '../runtime/options.js';
import { configureOidc, type OidcSettingsInput } from '../sso/configure.js';
import type { IdentityStore } from '../store/index.js';
import { createRuntime } from '../web/runtime.js';
import type { Connector } from '../model/types.js';
import { secretKey, truthy } from './environment.js';

/** `connector set-oidc`: the same validation and encryption as the admin API. */
export async function setOidc(store: IdentityStore, connectorId: string, input: OidcSettingsInput): Promise<Connector> {
  const key = secretKey({ create: false });
  if (!key) throw new OptionsError('set IDENTITY_SECRET_KEY (the same value the server uses): it encrypts the client secret');
  const options = resolveOptions({
    knex: store.knex, baseUrl: process.env.BASE_URL || 'http://localhost', mountPath: process.env.MOUNT_PATH ?? '/identity',
    secretKey: key, tablePrefix: store.tablePrefix, allowInsecureIssuer: truthy(process.env.IDENTITY_ALLOW_INSECURE_ISSUER),
  }, defaultLogger);
  const { connector } = await configureOidc(createRuntime(store, options), connectorId, input, { actor: 'cli' });
  return connector;
}
