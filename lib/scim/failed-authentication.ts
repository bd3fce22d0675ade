import type { NextFunction, Request, Response } from 'express';
import type { Runtime } from '../web/runtime.js';
import { toScimError } from './error-handler.js';
import { ScimError } from './errors.js';

export interface FailedAuthenticationLimits {
  /** Failed attempts one client address may make per window before it gets 429 (default 30). */
  perAddress: number;
  /** Failed attempts all addresses together may make per window (default 300): a spread-out guess still meets a limit. */
  overall: number;
  windowMs: number;
}

const DEFAULTS: FailedAuthenticationLimits = { perAddress: 30, overall: 300, windowMs: 60_000 };
const TOP_ADDRESSES = 10;

/**
 * Failed bearer attempts: counted per client address and overall in fixed windows, answered
 * 429 with Retry-After over a limit, and logged and audited once per window as an aggregate (one
 * row however many attempts). Only failures are counted and only failures are refused: a request
 * with a valid token never reaches this, so valid tokens are never slowed. A wrong token names
 * no connector, so the overall budget stands for the per-connector one.
 */
export class FailedAuthentication {
  private readonly limits: FailedAuthenticationLimits;
  private window = { start: 0, total: 0, refused: 0, byAddress: new Map<string, number>() };
  private timer?: NodeJS.Timeout;

  constructor(private readonly runtime: Runtime, limits: Partial<FailedAuthenticationLimits> = {}) {
    this.limits = { ...DEFAULTS, ...limits };
  }

  /** Error middleware right after authentication. */
  readonly middleware = (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (toScimError(error).status !== 401) return next(error);
    res.locals.authenticationAggregated = true;
    const now = Date.now();
    if (now - this.window.start >= this.limits.windowMs) {
      void this.flush();
      this.window = { start: now, total: 0, refused: 0, byAddress: new Map() };
      this.timer = setTimeout(() => void this.flush(), this.limits.windowMs);
      this.timer.unref();
    }
    const address = req.ip ?? 'unknown';
    const fromAddress = (this.window.byAddress.get(address) ?? 0) + 1;
    this.window.byAddress.set(address, fromAddress);
    this.window.total += 1;
    if (fromAddress > this.limits.perAddress || this.window.total > this.limits.overall) {
      this.window.refused += 1;
      const retryAfter = Math.max(1, Math.ceil((this.window.start + this.limits.windowMs - now) / 1000));
      return next(new ScimError(429, 'too many failed authentication attempts; retry after the Retry-After delay', undefined, retryAfter));
    }
    next(error);
  };

  /** Writes the current window's aggregate (one audit row, one log line), if it saw failures. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    const { start, total, refused, byAddress } = this.window;
    if (total === 0) return;
    this.window = { start, total: 0, refused: 0, byAddress: new Map() };
    const top = [...byAddress].sort((a, b) => b[1] - a[1]).slice(0, TOP_ADDRESSES).map(([address, attempts]) => ({ address, attempts }));
    const detail = { attempts: total, refused429: refused, addresses: byAddress.size, top, windowStart: new Date(start).toISOString() };
    this.runtime.logger.warn('scim authentication failures', detail);
    await this.runtime.audit.event({ actor: 'anonymous', requestId: null, status: 401 }, {
      connectorId: null, operation: 'scim.authentication_failed', resourceType: null, resourceId: null, detail,
    }, 'failure');
  }
}
