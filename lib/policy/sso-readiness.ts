import type { Connector } from '../model/types.js';

/** Whether the connector has the OpenID Connect settings a sign-in through Entra needs to start. */
export function hasOidc(connector: Pick<Connector, 'oidc'>): boolean {
  return Boolean(connector.oidc.issuer && connector.oidc.clientId);
}

/**
 * Why switching users to SSO would lock them out, if it would: the connector has no OpenID
 * Connect settings, or none of its sign-ins through Entra has completed yet (ssoVerifiedAt).
 */
export function ssoSwitchRefusal(connector: Pick<Connector, 'oidc' | 'ssoVerifiedAt'>): 'sso_not_configured' | 'sso_unverified' | undefined {
  if (!hasOidc(connector)) return 'sso_not_configured';
  return connector.ssoVerifiedAt ? undefined : 'sso_unverified';
}
