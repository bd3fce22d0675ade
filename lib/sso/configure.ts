import type { ResolvedOptions } from '../runtime/options.js';
import type { AuditContext } from '../policy/audit.js';
import type { OidcSettingsInput } from '../policy/oidc.js';
import type { Runtime } from '../web/runtime.js';
import type { Connector } from '../model/types.js';

export { OidcSettingsError, type OidcSettingsInput } from '../policy/oidc.js';

/** What configuring a connector's OpenID Connect answers. */
export interface OidcConfigured {
  /** The connector with its new settings (`ssoVerifiedAt` cleared until a sign-in completes again). */
  connector: Connector;
  /** What to register in Entra under Authentication → Web → Redirect URIs. */
  redirectUri: string;
}

/** The exact redirect URI (no trailing slash, no query): Entra compares it character by character. */
export function redirectUri(options: Pick<ResolvedOptions, 'baseUrl' | 'mountPath'>): string {
  return `${options.baseUrl}${options.mountPath}/sso/callback`;
}

/**
 * Sets a connector's OIDC settings through the one OIDC policy path (policy/oidc.ts: validation,
 * encryption, the audit row) and answers the redirect URI to register in Entra.
 * Throws OidcSettingsError (with the offending field), NotFound for an unknown connector.
 */
export async function configureOidc(
  runtime: Runtime,
  connectorId: string,
  input: OidcSettingsInput,
  context: AuditContext = { actor: 'host' },
): Promise<OidcConfigured> {
  const connector = await runtime.oidc.configure(connectorId, input, context);
  return { connector, redirectUri: redirectUri(runtime.options) };
}

/**
 * Stores a connector's Entra tenant id alone, with or without OpenID Connect (policy/oidc.ts,
 * `setTenant`); null or "" clears it. Throws OidcSettingsError naming `tenantId`, NotFound for an
 * unknown connector.
 */
export function setEntraTenant(
  runtime: Runtime,
  connectorId: string,
  tenantId: unknown,
  context: AuditContext = { actor: 'host' },
): Promise<Connector> {
  return runtime.oidc.setTenant(connectorId, tenantId, context);
}
