import { configureOidc, setEntraTenant, type OidcSettingsInput } from '../sso/configure.js';
import type { IdentityStore } from '../store/index.js';
import type { Connector } from '../model/types.js';
import { cliRuntime } from './cli-runtime.js';
import { CLI_ACTOR } from './cli-policies.js';

/** `connector set-oidc`: the same validation and encryption as the admin API. */
export async function setOidc(store: IdentityStore, connectorId: string, input: OidcSettingsInput): Promise<Connector> {
  const { connector } = await configureOidc(
    cliRuntime(store, 'it encrypts the client secret'),
    connectorId,
    input,
    CLI_ACTOR,
  );
  return connector;
}

/** `connector set-tenant`: the tenant id alone, validated and audited as the admin API does it. */
export function setTenant(store: IdentityStore, connectorId: string, tenantId: string | null): Promise<Connector> {
  return setEntraTenant(cliRuntime(store, 'it audits the change'), connectorId, tenantId, { actor: 'cli' });
}
