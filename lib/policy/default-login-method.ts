import type { Connector, LoginMethod } from '../model/types.js';

/** New users sign in through Entra when their connector has SSO configured, else with a password. */
export function defaultLoginMethod(connector: Pick<Connector, 'oidc'>): LoginMethod {
  return connector.oidc.issuer && connector.oidc.clientId ? 'sso' : 'builtin';
}
