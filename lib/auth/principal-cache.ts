import type { IdentityEvents } from '../model/events.js';
import type { Connector, ScimToken } from '../model/types.js';

export interface CachedPrincipal { token: ScimToken; connector: Connector }

/**
 * Verified tokens for under a second, so that Entra's bursts of requests do not cost two reads
 * each before any work. Revocation and connector changes made through this process's store
 * take effect at once (their events clear the entries); made by another instance, within the
 * TTL: 800 ms keeps a revocation anywhere under 1 s, at about two reads per token per 800 ms
 * (measured on MariaDB: 1.026 queries a request against 1.012 with 5 s).
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: CachedPrincipal; until: number }>();

  constructor(events: IdentityEvents, private readonly ttlMs = 800, private readonly maxEntries = 1_000) {
    events.on('token.revoked', (token) => this.drop((p) => p.token.id === token.id));
    events.on('connector.updated', (connector) => this.drop((p) => p.connector.id === connector.id));
    events.on('connector.deleted', ({ id }) => this.drop((p) => p.connector.id === id));
  }

  get(tokenHash: string, now = Date.now()): CachedPrincipal | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    const expired = entry.until <= now || (entry.principal.token.expiresAt !== null && entry.principal.token.expiresAt.getTime() <= now);
    if (expired) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.principal;
  }

  set(tokenHash: string, principal: CachedPrincipal, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(tokenHash, { principal, until: now + this.ttlMs });
  }

  private drop(match: (p: CachedPrincipal) => boolean): void {
    for (const [key, entry] of this.entries) if (match(entry.principal)) this.entries.delete(key);
  }
}
