import type { Logger } from 'winston';
import { InvalidInput, NotFound } from '../model/errors.js';
import { entraIssuerFor, isTenantGuid, parseEntraAuthority } from '../model/entra-authority.js';
import type { Connector } from '../model/types.js';
import type { AuditContext, AuditWriter } from './audit.js';

/** A connector's OpenID Connect settings as an admin, the CLI or the host gives them. */
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

/**
 * An OIDC setting that does not validate: 400 `invalid_oidc_settings`, naming the field (`issuer`, `tenantId`,
 * `clientId` or `clientSecret`) in `field` and at the start of the message.
 *
 * @example
 * ```ts
 * import { OidcSettingsError, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * try {
 *   await identity.configureOidc('a-connector-id', { issuer: 'http://login.example.com', clientId: 'app' });
 * } catch (error) {
 *   if (error instanceof OidcSettingsError) console.log(`${error.field}: ${error.message}`);
 *   else throw error;
 * }
 * ```
 */
export class OidcSettingsError extends InvalidInput {
  declare readonly field: 'issuer' | 'tenantId' | 'clientId' | 'clientSecret';
  constructor(field: 'issuer' | 'tenantId' | 'clientId' | 'clientSecret', message: string) {
    // Most messages already start with the field's name; the others get it in front.
    super('invalidValue', message.startsWith(field) ? message : `${field}: ${message}`, {
      code: 'invalid_oidc_settings',
      field,
    });
  }
}

/** What the OIDC policy needs from the assembly: the secret box's encryption, the options it obeys, a log. */
export interface OidcPolicySettings {
  encrypt: (plain: string) => string;
  allowInsecureIssuer: boolean;
  logger: Logger;
  /** Called after a change commits (the discovery cache forgets the connector's configuration). */
  changed?: (connectorId: string) => void;
}

interface NormalisedIssuer {
  issuer: string;
  tenantId: string | null;
}

/**
 * The one path of a connector's OpenID Connect settings (admin API, CLI, the host's
 * `configureOidc`): validated once here, the client secret encrypted before it reaches the store
 * and never logged, audited or returned; the change commits with its `oidc.configure` row.
 */
export class OidcSettings {
  constructor(
    private readonly audit: AuditWriter,
    private readonly settings: OidcPolicySettings,
  ) {}

  /** Validates and stores the settings; throws OidcSettingsError naming the field, NotFound for an unknown connector. */
  async configure(connectorId: string, input: OidcSettingsInput, context: AuditContext): Promise<Connector> {
    const connector = await this.audit.store.connectors.get(connectorId);
    if (!connector) throw new NotFound(`connector ${connectorId} not found`);
    const clientId = typeof input.clientId === 'string' ? input.clientId.trim() : '';
    if (!clientId || clientId.length > 255 || /[\s\u0000-\u001f\u007f]/.test(clientId)) {
      throw new OidcSettingsError('clientId', 'clientId must be the Application (client) ID from the app registration');
    }
    const clientSecretEncrypted = this.sealedSecret(connector, input.clientSecret);
    // A tenant id stored alone (setTenant) stays, unless the input names one.
    const given =
      input.tenantId === undefined || input.tenantId === '' ? (connector.oidc.tenantId ?? undefined) : input.tenantId;
    const { issuer, tenantId } = normaliseIssuer(this.settings, { ...input, tenantId: given });
    const clientSecretChanged = clientSecretEncrypted !== undefined;
    const updated = await this.audit.change(context, async (tx) => ({
      value: await tx.connectors.setOidc(connectorId, { issuer, clientId, tenantId, clientSecretEncrypted }),
      record: {
        connectorId,
        operation: 'oidc.configure',
        resourceType: 'Connector',
        resourceId: connectorId,
        detail: { issuer, clientId, tenantId, clientSecretChanged },
      },
    }));
    this.settings.changed?.(connectorId);
    this.settings.logger.info('oidc settings updated', {
      connectorId,
      issuer,
      clientId,
      tenantId,
      clientSecretChanged,
    });
    return updated;
  }

  /**
   * Stores the connector's Entra tenant id on its own, before or without OpenID Connect (Systam:
   * "You can also enter your organization's Tenant ID if you want"): shown to the admin and, once
   * set, every sign-in token's `tid` must be it. Null (or "") clears it, unless the OIDC issuer
   * needs it (a multi-tenant alias or a domain: the id is then the only tenant check). An Entra
   * issuer that names a tenant fixes it: another one is refused.
   */
  async setTenant(connectorId: string, value: unknown, context: AuditContext): Promise<Connector> {
    const connector = await this.audit.store.connectors.get(connectorId);
    if (!connector) throw new NotFound(`connector ${connectorId} not found`);
    const tenantId = tenantIdOf(value);
    const entra = connector.oidc.issuer ? entraAuthorityOf(connector.oidc.issuer) : undefined;
    if (entra?.tenantId && tenantId !== entra.tenantId) {
      throw new OidcSettingsError(
        'tenantId',
        `the OpenID Connect issuer names tenant ${entra.tenantId}: change the sign-in settings to use another tenant`,
      );
    }
    if (entra && !entra.tenantId && !tenantId) {
      throw new OidcSettingsError(
        'tenantId',
        `the OpenID Connect issuer names "${entra.tenantSegment}", not a tenant: the tenant id is what keeps accounts of other tenants out, so it cannot be cleared`,
      );
    }
    const updated = await this.audit.change(context, async (tx) => ({
      value: await tx.connectors.setTenant(connectorId, tenantId),
      record: {
        connectorId,
        operation: 'connector.tenant',
        resourceType: 'Connector',
        resourceId: connectorId,
        detail: { tenantId: { from: connector.oidc.tenantId, to: tenantId } },
      },
    }));
    this.settings.changed?.(connectorId);
    this.settings.logger.info('entra tenant id updated', { connectorId, tenantId });
    return updated;
  }

  /** The new secret, encrypted; undefined keeps the stored one (refused when there is none). */
  private sealedSecret(connector: Connector, secret: unknown): string | undefined {
    if (secret === undefined) {
      if (connector.oidc.hasClientSecret) return undefined;
      throw new OidcSettingsError(
        'clientSecret',
        'clientSecret is required: Entra only lets a web application redeem a code with its secret',
      );
    }
    if (
      typeof secret !== 'string' ||
      secret.length === 0 ||
      secret.length > 1024 ||
      /[\u0000-\u001f\u007f]/.test(secret)
    ) {
      throw new OidcSettingsError(
        'clientSecret',
        "clientSecret must be the secret's Value from Certificates & secrets (not its ID)",
      );
    }
    return this.settings.encrypt(secret);
  }
}

/** A tenant id as given (a GUID, any case, spaces around), lower case; null when none is given. */
function tenantIdOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !isTenantGuid(value.trim())) {
    throw new OidcSettingsError(
      'tenantId',
      'tenantId must be the Directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47',
    );
  }
  return value.trim().toLowerCase();
}

/** The Entra authority a stored issuer is; undefined for another provider. */
function entraAuthorityOf(issuer: string) {
  try {
    return parseEntraAuthority(new URL(issuer));
  } catch {
    return undefined;
  }
}

function normaliseIssuer(settings: OidcPolicySettings, input: OidcSettingsInput): NormalisedIssuer {
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
  if (url.username || url.password || url.search || url.hash)
    throw new OidcSettingsError('issuer', 'issuer must not contain credentials, a query or a fragment');
  if (url.protocol === 'http:') {
    if (!settings.allowInsecureIssuer)
      throw new OidcSettingsError(
        'issuer',
        'issuer must use https:// (http:// is accepted only with allowInsecureIssuer, for local testing)',
      );
    settings.logger.warn(
      'INSECURE: accepting an http:// OIDC issuer because allowInsecureIssuer is on; never do this in production',
      { issuer: url.href },
    );
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
    if (tenantId && tenantId !== entra.tenantId)
      throw new OidcSettingsError(
        'tenantId',
        `tenantId ${tenantId} differs from the tenant in the issuer (${entra.tenantId})`,
      );
    return { issuer: entra.issuer, tenantId: entra.tenantId };
  }
  // `common`, `organizations` or a domain name: Entra accepts accounts of any tenant there (or
  // names the tenant in a form tokens do not use), so the tenant GUID must be given to check `tid`.
  if (!tenantId) {
    throw new OidcSettingsError(
      'tenantId',
      `the issuer names "${entra.tenantSegment}", not a tenant id: also give tenantId (the Directory (tenant) ID GUID) so that accounts of other tenants are refused`,
    );
  }
  return { issuer: entra.issuer, tenantId };
}
