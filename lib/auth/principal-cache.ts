import type { IdentityEvents } from '../model/events.js';
import type { Connector, ScimToken } from '../model/types.js';

/** A verified token and its connector, as the cache keeps them between requests. */
export interface CachedPrincipal {
  token: ScimToken;
  connector: Connector;
}

/** How the cache learns of changes made by other instances (see PrincipalCache). */
export interface PrincipalCacheOptions {
  /**
   * A value that changes whenever any token or connector changes, through any instance
   * (store/tokens.ts `credentialsFingerprint`): read at most once per `checkMs` for the whole
   * cache, however many tokens it holds.
   */
  fingerprint: () => Promise<string>;
  /** How stale another instance's change may be seen: 800 ms keeps a revocation under 1 s. */
  checkMs?: number;
  /**
   * How long an entry lives without a change: a minute, the granularity of a token's
   * last_used_at (written when the token is verified, store/tokens.ts).
   */
  ttlMs?: number;
  /** Entries kept (the least recently used goes first): enough for every active token of a large platform. */
  maxEntries?: number;
}

/**
 * Verified tokens, so that requests do not cost two reads each before any work. Revocation and
 * connector changes made through this process's store take effect at once (their events clear
 * the entries). Made by another instance, within `checkMs`: the cache reads one fingerprint of
 * every token and connector at most that often, and starts empty when it changed. That check
 * is one statement a period for the whole cache, so a platform with thousands of tokens each
 * used less often than the period pays it once, not two reads per request: the former per-entry
 * TTL of 800 ms over 1,000 entries missed on every request beyond 1,000 active tokens.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: CachedPrincipal; until: number }>();
  private readonly checkMs: number;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private checkedAt = -Infinity;
  /**
   * When the last check that found a change (or failed) began: reads begun before it may be
   * stale. Until a first check has answered, nothing is kept.
   */
  private changedAt = Infinity;
  private known: string | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    events: IdentityEvents,
    private readonly options: PrincipalCacheOptions,
  ) {
    this.checkMs = options.checkMs ?? 800;
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 20_000;
    events.on('token.revoked', (token) => this.drop((p) => p.token.id === token.id));
    events.on('connector.updated', (connector) => this.drop((p) => p.connector.id === connector.id));
    events.on('connector.deleted', ({ id }) => this.drop((p) => p.connector.id === id));
  }

  /**
   * The entry for this token hash, once the cache is known to be current: when the last check is
   * older than `checkMs`, the caller waits for the next one (shared by every request meanwhile).
   */
  async get(tokenHash: string, now = Date.now()): Promise<CachedPrincipal | undefined> {
    if (!this.entries.has(tokenHash)) return undefined;
    if (now - this.checkedAt >= this.checkMs) await this.check(now);
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    const expired =
      entry.until <= now ||
      (entry.principal.token.expiresAt !== null && entry.principal.token.expiresAt.getTime() <= now);
    this.entries.delete(tokenHash);
    if (expired) return undefined;
    this.entries.set(tokenHash, entry); // most recently used last: eviction takes the first
    return entry.principal;
  }

  /**
   * Keeps a principal read from the store. `readAt`: when the read began; one begun before a
   * check found a change may predate that change, so it is not kept.
   */
  set(tokenHash: string, principal: CachedPrincipal, readAt: number, now = Date.now()): void {
    if (readAt < this.changedAt) {
      if (this.changedAt === Infinity) void this.check(now); // the first: what later reads are compared with
      return;
    }
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(tokenHash, { principal, until: now + this.ttlMs });
  }

  private check(now: number): Promise<void> {
    // A change, or a failed read: nothing cached may be trusted.
    const changed = () => {
      this.entries.clear();
      this.changedAt = now;
    };
    this.checking ??= this.options
      .fingerprint()
      .then(
        (value) => {
          if (value !== this.known) changed();
          this.known = value;
          this.checkedAt = now;
        },
        () => {
          changed();
          this.known = undefined;
        },
      )
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  private drop(match: (p: CachedPrincipal) => boolean): void {
    for (const [key, entry] of this.entries) if (match(entry.principal)) this.entries.delete(key);
  }
}
