import type { NextFunction, Request, Response } from 'express';
import { RATE_LIMIT_WINDOW_MS } from '../model/limits.js';
import { SharedLimit } from '../runtime/shared-limit.js';
import { continueWhenSettled } from '../web/http.js';
import type { Runtime } from '../web/runtime.js';
import { toScimError } from './error-handler.js';
import { ScimError } from './errors.js';

/**
 * How many failed bearer authentications (RFC 6750 `invalid_token`) are answered 401 before 429, per window
 * (`rateLimitWindowMs`), by client address, by connector endpoint and in all.
 */
export interface FailedAuthenticationLimits {
  /** Failed attempts one client address may make per window before it gets 429 (default 30). */
  perAddress: number;
  /** Failed attempts at one connector's own endpoint (settings.scimEndpoint) per window, from all addresses (default 100). */
  perConnector: number;
  /** Failed attempts all addresses together may make per window (default 300): a spread-out guess still meets a limit. */
  overall: number;
}

const DEFAULTS: FailedAuthenticationLimits = { perAddress: 30, perConnector: 100, overall: 300 };
const TOP_ADDRESSES = 10;
/** How long the connectors' endpoints are remembered (failures only look them up). */
const ENDPOINT_TTL_MS = 60_000;

interface Aggregate {
  total: number;
  refused: number;
  byAddress: Map<string, number>;
}

/**
 * Failed bearer attempts: counted per client address, per connector and overall in the shared
 * counter store (so every instance spends one budget), answered 429 with Retry-After over a
 * limit, and logged and audited once per window per connector as an aggregate (one row however
 * many attempts; each instance writes the aggregate of the attempts it answered). A wrong token names no connector; the endpoint does: at a connector's own
 * endpoint (`{mountPath}/{scimEndpoint}/scim`) failures count against that connector, at the
 * shared `/scim/v2` only per address and overall. Only failures are counted and refused: a
 * request with a valid token never reaches this, so valid tokens are never slowed.
 */
export class FailedAuthentication {
  private readonly limits: FailedAuthenticationLimits;
  private readonly perAddress: SharedLimit;
  private readonly perConnector: SharedLimit;
  private readonly overall: SharedLimit;
  private windowStart = 0;
  /** This instance's attempts in the current window, per connector id ('' for none known). */
  private aggregates = new Map<string, Aggregate>();
  /** Endpoint segment → connector id, read at most once per ENDPOINT_TTL_MS. */
  private endpoints?: { byEndpoint: Map<string, string>; until: number };
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly runtime: Runtime,
    limits: Partial<FailedAuthenticationLimits> = {},
    private readonly windowMs = RATE_LIMIT_WINDOW_MS,
  ) {
    this.limits = { ...DEFAULTS, ...limits };
    const limit = (name: string, max: number) =>
      new SharedLimit(
        runtime.counters,
        runtime.counterHealth,
        `auth-failed:${name}:`,
        max,
        windowMs,
        runtime.options.clock,
      );
    this.perAddress = limit('address', this.limits.perAddress);
    this.perConnector = limit('connector', this.limits.perConnector);
    this.overall = limit('all', this.limits.overall);
  }

  /** Error middleware right after authentication. */
  readonly middleware = (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (toScimError(error).status !== 401) return next(error);
    res.locals.authenticationAggregated = true;
    continueWhenSettled(this.refusal(req), res, next, (refusal) => {
      if (!refusal) return next(error);
      next(refusal);
    });
  };

  /** Counts a failed attempt against every limit it falls under: the 429 to answer once one is spent. */
  private async refusal(req: Request): Promise<ScimError | undefined> {
    const address = req.ip ?? 'unknown';
    const connectorId = await this.connectorAt(req.scimEndpoint);
    // Widest first, and no further count once one refuses: past a limit a flood costs no writes.
    let refusal = await this.overall.take('');
    if (refusal.allowed && connectorId !== null) refusal = await this.perConnector.take(connectorId);
    if (refusal.allowed) refusal = await this.perAddress.take(address);
    this.record(connectorId, address, !refusal.allowed);
    if (refusal.allowed) return undefined;
    const retryAfter = Math.max(1, Math.ceil((refusal.resetAt - this.runtime.options.clock()) / 1000));
    return new ScimError(
      429,
      'too many failed authentication attempts; retry after the Retry-After delay',
      undefined,
      retryAfter,
    );
  }

  /** Writes the current window's aggregates (one audit row and one log line per connector), if it saw failures. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    const aggregates = this.aggregates;
    const windowStart = new Date(this.windowStart).toISOString();
    this.aggregates = new Map();
    await Promise.all([this.perAddress.flush(), this.perConnector.flush(), this.overall.flush()]);
    for (const [connectorId, { total, refused, byAddress }] of aggregates) {
      const top = [...byAddress]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP_ADDRESSES)
        .map(([address, attempts]) => ({ address, attempts }));
      const detail = { attempts: total, refused429: refused, addresses: byAddress.size, top, windowStart };
      this.runtime.logger.warn('scim authentication failures', { connectorId: connectorId || null, ...detail });
      await this.runtime.audit.event(
        { actor: 'anonymous', requestId: null, status: 401 },
        {
          connectorId: connectorId || null,
          operation: 'scim.authentication_failed',
          resourceType: null,
          resourceId: null,
          detail,
        },
        'failure',
      );
    }
  }

  private record(connectorId: string | null, address: string, refused: boolean): void {
    const now = this.runtime.options.clock();
    if (now - this.windowStart >= this.windowMs) {
      void this.flush();
      this.windowStart = now;
      this.timer = setTimeout(() => void this.flush(), this.windowMs);
      this.timer.unref();
    }
    const key = connectorId ?? '';
    let aggregate = this.aggregates.get(key);
    if (!aggregate) this.aggregates.set(key, (aggregate = { total: 0, refused: 0, byAddress: new Map() }));
    aggregate.total += 1;
    if (refused) aggregate.refused += 1;
    aggregate.byAddress.set(address, (aggregate.byAddress.get(address) ?? 0) + 1);
  }

  /**
   * The connector served at a connector's own endpoint segment (none at the shared endpoint, or
   * for a segment no connector has). One read of the connectors per ENDPOINT_TTL_MS, whatever the
   * segments: failed requests at made-up endpoints cannot each cost a read of the table.
   */
  private async connectorAt(endpoint: string | undefined): Promise<string | null> {
    if (endpoint === undefined) return null;
    const now = Date.now();
    if (!this.endpoints || this.endpoints.until <= now) {
      const byEndpoint = new Map<string, string>();
      for (const c of await this.runtime.store.connectors.list())
        if (c.settings.scimEndpoint && !byEndpoint.has(c.settings.scimEndpoint))
          byEndpoint.set(c.settings.scimEndpoint, c.id);
      this.endpoints = { byEndpoint, until: now + ENDPOINT_TTL_MS };
    }
    return this.endpoints.byEndpoint.get(endpoint) ?? null;
  }
}
