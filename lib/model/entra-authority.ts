import { isEntraGuid } from '../model/entra-ids.js';

/**
 * What we know about Microsoft Entra ID's URLs. Tenants are GUIDs in tokens (`tid`), but an
 * authority URL may name a tenant by domain or by one of the multi-tenant aliases, which accept
 * accounts from any directory: with those, only our own `tid` check keeps other tenants out.
 */
export const ENTRA_ORIGIN = 'https://login.microsoftonline.com';
/**
 * The tenant segments that accept accounts from any directory: with these, only the connector's `tid` check keeps
 * other tenants out, so a tenant id must be set.
 */
export const MULTI_TENANT_ALIASES = ['common', 'organizations', 'consumers'] as const;

/** Whether a tenant segment is a directory (tenant) GUID rather than a domain or a multi-tenant alias. */
export const isTenantGuid = (value: string): boolean => isEntraGuid(value);

/** The v2.0 issuer of a tenant (v1 tokens have another issuer, sts.windows.net, and other claims). */
export const entraIssuerFor = (tenant: string): string => `${ENTRA_ORIGIN}/${tenant}/v2.0`;

/** An Entra authority URL read apart (see {@link parseEntraAuthority}). */
export interface EntraAuthority {
  /** Normalised v2.0 issuer. */
  issuer: string;
  /** The tenant segment as written: a GUID, a domain or a multi-tenant alias. */
  tenantSegment: string;
  /** The tenant GUID when the segment is one (lower case). */
  tenantId: string | null;
}

/**
 * Parses an Entra authority (`https://login.microsoftonline.com/{tenant}` as the Azure portal
 * shows it, or the v2.0 issuer). Undefined when the URL is not an Entra authority; throws with
 * a fix when it is one but points at an endpoint instead of the authority.
 */
export function parseEntraAuthority(url: URL): EntraAuthority | undefined {
  if (url.origin !== ENTRA_ORIGIN) return undefined;
  const segments = url.pathname.split('/').filter(Boolean);
  const [tenantSegment, version, ...rest] = segments;
  if (!tenantSegment || rest.length > 0 || (version !== undefined && version !== 'v2.0')) {
    throw new Error(`${url.href} is not an Entra authority: use https://login.microsoftonline.com/{tenant-id}/v2.0`);
  }
  return {
    issuer: entraIssuerFor(tenantSegment),
    tenantSegment,
    tenantId: isTenantGuid(tenantSegment) ? tenantSegment.toLowerCase() : null,
  };
}
