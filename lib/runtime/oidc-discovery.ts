import * as oidc from 'openid-client';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Connector } from '../model/types.js';
import type { IdentityStore } from '../store/index.js';
import type { Logger } from 'winston';
import type { ResolvedOptions } from './options.js';

/** What discovery reads: the stored client secret, the key that opens it, the options it obeys. */
export interface DiscoveryDependencies {
  store: IdentityStore;
  secrets: SecretBox;
  options: Pick<ResolvedOptions, 'discoveryTtlMs' | 'allowInsecureIssuer'>;
  logger: Logger;
}

/** After a failed refresh, how long a stale configuration is served before trying again. */
const STALE_RETRY_MS = 60_000;
/** Entra answers discovery in well under a second; do not hold a sign-in for 30 s (the default). */
const DISCOVERY_TIMEOUT_S = 10;

/**
 * A connector's issuer is `http://` while `allowInsecureIssuer` is off: discovery and token exchange would travel
 * in clear, so the sign-in is refused (`provider_unavailable`) and the operator told how to fix it.
 */
export class InsecureIssuerError extends Error {
  constructor(issuer: string) {
    super(`issuer ${issuer} is not https; set allowInsecureIssuer only for local testing`);
    this.name = 'InsecureIssuerError';
  }
}

/** The stored secret cannot be decrypted: usually the host's secretKey changed since it was saved. */
export class ClientSecretUnreadableError extends Error {
  constructor(connectorId: string) {
    super(
      `the client secret of connector ${connectorId} cannot be decrypted with the current secretKey; set it again (connector set-oidc)`,
    );
    this.name = 'ClientSecretUnreadableError';
  }
}

interface Entry {
  fingerprint: string;
  config: Promise<oidc.Configuration>;
  resolved?: oidc.Configuration;
  expiresAt: number;
}

/**
 * OIDC discovery per connector, cached for options.discoveryTtlMs.
 *
 * The cache key includes the connector's OIDC settings and its `updatedAt`, so a change made by
 * another process (the CLI, another instance behind the load balancer) is picked up at the next
 * sign-in without waiting for the TTL; `invalidate` covers changes made in this process.
 * The Configuration also carries openid-client's JWKS cache, so signing keys are fetched once per
 * TTL too (and again when a token names an unknown `kid`: key rotation).
 * One cache per Runtime (`runtime.discovery`), so the sign-in routes and an OIDC settings change
 * made through the same Runtime share it.
 */
export class DiscoveryCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly runtime: DiscoveryDependencies) {}

  get(connector: Connector): Promise<oidc.Configuration> {
    const fingerprint = fingerprintOf(connector);
    const now = Date.now();
    const cached = this.entries.get(connector.id);
    if (cached && cached.fingerprint === fingerprint && now < cached.expiresAt) return cached.config;

    const stale = cached?.fingerprint === fingerprint ? cached.resolved : undefined;
    // The handlers run asynchronously, after `entry` is assigned.
    const entry: Entry = {
      fingerprint,
      expiresAt: now + this.runtime.options.discoveryTtlMs,
      config: this.discover(connector).then(
        (config) => {
          entry.resolved = config;
          return config;
        },
        (error: unknown) => {
          if (stale) {
            // Entra being briefly unreachable should not stop every sign-in.
            this.runtime.logger.warn('oidc discovery refresh failed; using the previous configuration', {
              connectorId: connector.id,
              error: String(error),
            });
            entry.resolved = stale;
            entry.expiresAt = Date.now() + STALE_RETRY_MS;
            return stale;
          }
          // Not cached: the next sign-in tries again.
          if (this.entries.get(connector.id) === entry) this.entries.delete(connector.id);
          throw error;
        },
      ),
    };
    // Concurrent sign-ins share one discovery request.
    this.entries.set(connector.id, entry);
    return entry.config;
  }

  invalidate(connectorId?: string): void {
    if (connectorId === undefined) this.entries.clear();
    else this.entries.delete(connectorId);
  }

  private async discover(connector: Connector): Promise<oidc.Configuration> {
    const { issuer, clientId } = connector.oidc;
    if (!issuer || !clientId) throw new Error(`connector ${connector.id} has no OIDC issuer and client id`);
    const server = new URL(issuer);
    const insecure = server.protocol === 'http:';
    if (insecure && !this.runtime.options.allowInsecureIssuer) throw new InsecureIssuerError(issuer);
    const sealed = await this.runtime.store.connectors.encryptedClientSecret(connector.id);
    let clientSecret: string | undefined;
    try {
      clientSecret = sealed ? this.runtime.secrets.decrypt(sealed) : undefined;
    } catch {
      throw new ClientSecretUnreadableError(connector.id);
    }
    // openid-client only checks the ID token signature (against the provider's JWKS) with
    // non-repudiation checks on; TLS alone is its default trust in the token endpoint.
    const execute: Array<(config: oidc.Configuration) => void> = [oidc.enableNonRepudiationChecks];
    if (insecure) execute.push(oidc.allowInsecureRequests);
    return oidc.discovery(
      server,
      clientId,
      undefined,
      clientSecret ? oidc.ClientSecretPost(clientSecret) : oidc.None(),
      {
        execute,
        timeout: DISCOVERY_TIMEOUT_S,
      },
    );
  }
}

function fingerprintOf(connector: Connector): string {
  const { issuer, clientId, tenantId } = connector.oidc;
  return JSON.stringify([issuer, clientId, tenantId, connector.updatedAt.getTime()]);
}
