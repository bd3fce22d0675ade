import type { ResolvedOptions } from '../runtime/options.js';
import type { AuditContext } from '../policy/audit.js';
import type { Runtime } from '../web/runtime.js';
import type { Connector } from '../model/types.js';
import { discoveryCacheFor } from './discovery-cache.js';
import { entraIssuerFor, isTenantGuid, parseEntraAuthority } from './entra.js';

export interface OidcSettingsInput {
  /** `https://login.microsoftonline.com/{tenant}/v2.0` (or the portal's form without /v2.0), or any OIDC issuer. */
  issuer?: string;
  /** The Directory (tenant) ID, a GUID. Enough on its own for Entra: the issuer derives from it. */
  tenantId?: string;
  /** The Application (client) ID. */
  clientId: string;
  /** Omit to keep the stored one (e.g. when only the issuer changes). */
  clientSecret?: string;
}

export interface OidcConfigured {
  connector: Connector;
  /** What to register in Entra under Authentication → Web → Redirect URIs. */
  redirectUri: string;
}

export class OidcSettingsError extends Error {
  constructor(readonly field: 'connector' | 'issuer' | 'tenantId' | 'clientId' | 'clientSecret', message: string) {
    super(message);
    this.name = 'OidcSettingsError';
  }
}

/** The exact redirect URI (no trailing slash, no query): Entra compares it character by character. */
export function redirectUri(options: Pick<ResolvedOptions, 'baseUrl' | 'mountPath'>): string {
  return `${options.baseUrl}${options.mountPath}/sso/callback`;
}

interface NormalisedIssuer { issuer: string; tenantId: string | null }

/**
 * Validates and stores a connector's OIDC settings. The client secret is encrypted before it
 * reaches the store and is never logged, audited or returned.
 * Throws OidcSettingsError (with the offending field) on invalid input.
 */
export async function configureOidc(runtime: Runtime, connectorId: string, input: OidcSettingsInput, context: AuditContext = { actor: 'host' }): Promise<OidcConfigured> {
  const connector = await runtime.store.connectors.get(connectorId);
  if (!connector) throw new OidcSettingsError('connector', `connector ${connectorId} not found`);

  const clientId = typeof input.clientId === 'string' ? input.clientId.trim() : '';
  if (!clientId || clientId.length > 255 || /[\s\u0000-\u001f\u007f]/.test(clientId)) {
    throw new OidcSettingsError('clientId', 'clientId must be the Application (client) ID from the app registration');
  }
  let clientSecretEncrypted: string | undefined;
  if (input.clientSecret !== undefined) {
    if (typeof input.clientSecret !== 'string' || input.clientSecret.length === 0 || input.clientSecret.length > 1024 || /[\u0000-\u001f\u007f]/.test(input.clientSecret)) {
      throw new OidcSettingsError('clientSecret', 'clientSecret must be the secret\'s Value from Certificates & secrets (not its ID)');
    }
    clientSecretEncrypted = runtime.secrets.encrypt(input.clientSecret);
  } else if (!connector.oidc.hasClientSecret) {
    throw new OidcSettingsError('clientSecret', 'clientSecret is required: Entra only lets a web application redeem a code with its secret');
  }

  // A tenant id stored alone (setEntraTenant) stays, unless the input names one.
  const given = input.tenantId === undefined || input.tenantId === '' ? connector.oidc.tenantId ?? undefined : input.tenantId;
  const { issuer, tenantId } = normaliseIssuer(runtime, { ...input, tenantId: given });
  const clientSecretChanged = clientSecretEncrypted !== undefined;
  const updated = await runtime.audit.change(context, async (tx) => ({
    value: await tx.connectors.setOidc(connectorId, { issuer, clientId, tenantId, clientSecretEncrypted }),
    record: { connectorId, operation: 'oidc.configure', resourceType: 'Connector', resourceId: connectorId, detail: { issuer, clientId, tenantId, clientSecretChanged } },
  }));
  discoveryCacheFor(runtime).invalidate(connectorId);
  runtime.logger.info('oidc settings updated', { connectorId, issuer, clientId, tenantId, clientSecretChanged });
  return { connector: updated, redirectUri: redirectUri(runtime.options) };
}

const TENANT_ID_MESSAGE = 'tenantId must be the Directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47';

/** A tenant id as given (a GUID, any case, spaces around), lower case; null when none is given. */
function tenantIdOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !isTenantGuid(value.trim())) throw new OidcSettingsError('tenantId', TENANT_ID_MESSAGE);
  return value.trim().toLowerCase();
}

/**
 * Stores the connector's Entra tenant id on its own, before or without OpenID Connect (Systam:
 * "You can also enter your organization's Tenant ID if you want"): shown to the admin and, once
 * set, every sign-in token's `tid` must be it. Null (or "") clears it, unless the OIDC issuer
 * needs it (a multi-tenant alias or a domain: the id is then the only tenant check). An Entra
 * issuer that names a tenant fixes it: another one is refused.
 */
export async function setEntraTenant(runtime: Runtime, connectorId: string, value: unknown, context: AuditContext = { actor: 'host' }): Promise<Connector> {
  const connector = await runtime.store.connectors.get(connectorId);
  if (!connector) throw new OidcSettingsError('connector', `connector ${connectorId} not found`);
  const tenantId = tenantIdOf(value);
  const entra = connector.oidc.issuer ? entraAuthorityOf(connector.oidc.issuer) : undefined;
  if (entra?.tenantId && tenantId !== entra.tenantId) {
    throw new OidcSettingsError('tenantId', `the OpenID Connect issuer names tenant ${entra.tenantId}: change the sign-in settings to use another tenant`);
  }
  if (entra && !entra.tenantId && !tenantId) {
    throw new OidcSettingsError('tenantId', `the OpenID Connect issuer names "${entra.tenantSegment}", not a tenant: the tenant id is what keeps accounts of other tenants out, so it cannot be cleared`);
  }
  const updated = await runtime.audit.change(context, async (tx) => ({
    value: await tx.connectors.setTenant(connectorId, tenantId),
    record: { connectorId, operation: 'connector.tenant', resourceType: 'Connector', resourceId: connectorId, detail: { tenantId: { from: connector.oidc.tenantId, to: tenantId } } },
  }));
  runtime.logger.info('entra tenant id updated', { connectorId, tenantId });
  return updated;
}

/** The Entra authority a stored issuer is; undefined for another provider. */
function entraAuthorityOf(issuer: string) {
  try {
    return parseEntraAuthority(new URL(issuer));
  } catch {
    return undefined;
  }
}

function normaliseIssuer(runtime: Runtime, input: OidcSettingsInput): NormalisedIssuer {
  const tenantId = tenantIdOf(input.tenantId);

  if (input.issuer === undefined || input.issuer === '') {
    if (!tenantId) throw new OidcSettingsError('issuer', 'give the issuer URL or the tenant id');
    return { issuer: entraIssuerFor(tenantId), tenantId };
  }

  let url: URL;
  try {
    url = new URL(String(input.issuer).trim());
  } catch {
    throw new OidcSettingsError('issuer', `issuer must be an absolute URL such as ${entraIssuerFor('{tenant-id}')}`);
  }
  if (url.username || url.password || url.search || url.hash) throw new OidcSettingsError('issuer', 'issuer must not contain credentials, a query or a fragment');
  if (url.protocol === 'http:') {
    if (!runtime.options.allowInsecureIssuer) throw new OidcSettingsError('issuer', 'issuer must use https:// (http:// is accepted only with allowInsecureIssuer, for local testing)');
    runtime.logger.warn('INSECURE: accepting an http:// OIDC issuer because allowInsecureIssuer is on; never do this in production', { issuer: url.href });
  } else if (url.protocol !== 'https:') {
    throw new OidcSettingsError('issuer', 'issuer must use https://');
  }

  let entra;
  try {
    entra = parseEntraAuthority(url);
  } catch (error) {
    throw new OidcSettingsError('issuer', (error as Error).message);
  }
  if (!entra) {
    // Another OIDC provider (or a test one): kept as given; discovery checks it matches exactly.
    return { issuer: String(input.issuer).trim(), tenantId };
  }
  if (entra.tenantId) {
    if (tenantId && tenantId !== entra.tenantId) throw new OidcSettingsError('tenantId', `tenantId ${tenantId} differs from the tenant in the issuer (${entra.tenantId})`);
    return { issuer: entra.issuer, tenantId: entra.tenantId };
  }
  // `common`, `organizations` or a domain name: Entra accepts accounts of any tenant there (or
  // names the tenant in a form tokens do not use), so the tenant GUID must be given to check `tid`.
  if (!tenantId) {
    throw new OidcSettingsError('tenantId', `the issuer names "${entra.tenantSegment}", not a tenant id: also give tenantId (the Directory (tenant) ID GUID) so that accounts of other tenants are refused`);
  }
  return { issuer: entra.issuer, tenantId };
}
