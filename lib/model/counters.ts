/** A counter's fixed window after a change: the hits counted in it so far, and when it ends (epoch ms). */
export interface CounterWindow {
  count: number;
  resetAt: number;
}

/**
 * Hit counters in fixed windows, shared by every instance that uses the same store: the rate
 * limits' memory (per-token budget, failed bearer attempts). Implementations: the database
 * (default), memory (one process), and any express-rate-limit store such as rate-limit-redis.
 */
export interface CounterStore {
  /**
   * Adds `hits` to the key's current window (opening one of `windowMs` if none is open) and answers its total and
   * end. `now` is the limiter's clock (`options.clock`): stores whose windows are aligned on the clock (the
   * database, memory) place the hit by it; a store with its own clock (Redis) ignores it.
   */
  increment(key: string, hits: number, windowMs: number, now: number): Promise<CounterWindow>;
  /**
   * Adds hits to several keys' windows at once, answering each key's window in the order given:
   * the batched limiter's flush once a second, one statement for every key with unsent hits
   * (the database) instead of one per key. Optional: without it the limiter sends each key alone.
   */
  incrementMany?(
    entries: Array<{ key: string; hits: number }>,
    windowMs: number,
    now: number,
  ): Promise<CounterWindow[]>;
  /** Takes `hits` back from the key's current window (answers that were not the client's doing: 503). */
  decrement(key: string, hits: number, windowMs: number, now: number): Promise<void>;
  /**
   * Whether a round trip per request is too dear for the hot path: the limiter then counts
   * locally while the budget is far from spent and sends hits in batches (the database), or
   * asks the store on every request (memory, Redis).
   */
  readonly batched: boolean;
}

/**
 * express-rate-limit's `Store`, the part the connector uses: what rate-limit-redis (and
 * rate-limit-memcached, …) implement, so a host passes one of those as `rateLimitStore`.
 */
export interface RateLimitStore {
  /** Called once with the limit's window (in milliseconds) before the first increment. */
  init?(options: { windowMs: number }): void | Promise<void>;
  /** Counts one hit for the key in its current window and answers the window's total and end. */
  increment(key: string): Promise<{
    /** The hits counted in the key's current window, this one included. */
    totalHits: number;
    /** When the window ends; undefined when the store does not say. */
    resetTime: Date | undefined;
  }>;
  /** Takes one hit back (an answer that was not the client's doing, such as a 503). */
  decrement(key: string): Promise<void>;
}
