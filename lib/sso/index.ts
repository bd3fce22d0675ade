/** What lib/index.ts and the CLI use from the SSO module. */
export { createSsoRouter } from './routes.js';
export { requireLoginMethod } from './login-method.js';
export { configureOidc, redirectUri, OidcSettingsError, type OidcSettingsInput, type OidcConfigured, type ChangeContext } from './configure.js';
export { discoveryCacheFor } from './discovery-cache.js';
export { REFUSAL_TEXT, type LoginRefusalReason } from './refusals.js';
export { safeReturnTo } from './return-to.js';
