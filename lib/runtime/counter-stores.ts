import type { CounterStore, CounterWindow, RateLimitStore } from '../model/counters.js';

/**
 * Counters in this process's memory, windows aligned on the clock as the database's: for one
 * instance that wants no write per window (`rateLimitStore: 'memory'`) and for tests. With
 * several instances each would hold its own budget, so it is never the default.
 */
export class MemoryCounterStore implements CounterStore {
  readonly batched = false;
  private readonly windows = new Map<string, { start: number; hits: number }>();
  private sweptWindow = 0;

  async increment(key: string, hits: number, windowMs: number, now: number): Promise<CounterWindow> {
    const start = Math.floor(now / windowMs) * windowMs;
    if (start > this.sweptWindow) {
      // Once a window: memory stays bounded by the keys used in the current one.
      for (const [k, w] of this.windows) if (w.start < start) this.windows.delete(k);
      this.sweptWindow = start;
    }
    let w = this.windows.get(key);
    if (!w || w.start !== start) this.windows.set(key, (w = { start, hits: 0 }));
    w.hits += hits;
    return { count: w.hits, resetAt: start + windowMs };
  }

  async decrement(key: string, hits: number, windowMs: number, now: number): Promise<void> {
    const w = this.windows.get(key);
    if (w && w.start === Math.floor(now / windowMs) * windowMs) w.hits = Math.max(0, w.hits - hits);
  }
}

/**
 * An express-rate-limit store (rate-limit-redis, …) as the connector's counters. Such a store
 * has one window length, given once by `init`; a round trip per request is what it is built
 * for (Redis answers in well under a millisecond), so nothing is batched.
 */
export class ExternalCounterStore implements CounterStore {
  readonly batched = false;
  private ready?: Promise<void>;

  constructor(
    private readonly store: RateLimitStore,
    private readonly windowMs: number,
  ) {}

  /**
   * rate-limit-redis loads its scripts in `init` and keeps a failed load for good: a store that
   * was unreachable at start-up is initialised again at the next call, not left failing.
   */
  private initialised(): Promise<void> {
    this.ready ??= Promise.resolve(this.store.init?.({ windowMs: this.windowMs })).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async increment(key: string, hits: number, windowMs: number, now: number): Promise<CounterWindow> {
    this.sameWindow(windowMs);
    await this.initialised();
    let answer = await this.store.increment(key);
    for (let i = 1; i < hits; i += 1) answer = await this.store.increment(key);
    return { count: answer.totalHits, resetAt: answer.resetTime?.getTime() ?? now + this.windowMs };
  }

  async decrement(key: string, hits: number, windowMs: number): Promise<void> {
    this.sameWindow(windowMs);
    await this.initialised();
    for (let i = 0; i < hits; i += 1) await this.store.decrement(key);
  }

  private sameWindow(windowMs: number): void {
    if (windowMs !== this.windowMs)
      throw new Error(`this rate-limit store counts ${this.windowMs} ms windows, not ${windowMs} ms`);
  }
}
