import type { LoginMethod } from '../store/types.js';

/** New users sign in through Entra when their connector has SSO configured, else with a password. */
export function defaultLoginMethod(oidc: { issuer: string | null; clientId: string | null }): LoginMethod {
  return oidc.issuer && oidc.clientId ? 'sso' : 'builtin';
}
