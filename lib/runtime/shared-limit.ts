import type { Logger } from 'winston';
import type { CounterStore, CounterWindow } from '../model/counters.js';
import { errorFields } from './log.js';

/** What a limit decided for one hit. */
export interface Admission {
  allowed: boolean;
  /** Hits in the window with this one, as far as this instance knows. */
  count: number;
  /** When the window ends (epoch ms). */
  resetAt: number;
  /** Whether the hit was counted (not while the store is unavailable): only a counted hit is given back. */
  counted: boolean;
}

/** How long a store call may take before the hit passes uncounted. */
const STORE_DEADLINE_MS = 1000;
/** After a failure the store is left alone this long: requests pass at once instead of each waiting on it. */
const RETRY_AFTER_FAILURE_MS = 1000;
/** Hits counted locally reach the store at least this often. */
const FLUSH_MS = 1000;

/**
 * The counter store as the limits see it. A store that fails or hangs must not fail requests:
 * hits then pass uncounted (fail open), the store is asked again a second later, and the change
 * of state is logged once each way, not once per request.
 */
export class CounterHealth {
  private downUntil = 0;
  private down = false;

  /** `clock` is `options.clock`: the time the limits' windows are read by. */
  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {}

  available(now: number): boolean {
    return now >= this.downUntil;
  }

  failed(error: unknown): void {
    this.downUntil = this.clock() + RETRY_AFTER_FAILURE_MS;
    if (this.down) return;
    this.down = true;
    this.logger.error(
      'rate-limit store unavailable: requests pass unlimited until it answers again',
      errorFields(error),
    ); // name, code and frames: a database's message can hold SQL
  }

  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.warn('rate-limit store answers again: limits apply');
  }

  /** The store's answer, or a rejection once the deadline has passed. */
  within<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STORE_DEADLINE_MS} ms`)), STORE_DEADLINE_MS);
    });
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  }
}

interface KeyState {
  resetAt: number;
  /** The store's total, as last answered. */
  known: number;
  /** Hits admitted here and not yet sent. */
  pending: number;
  /** Hits sent and not yet answered. */
  inflight: number;
}

/**
 * One limit (`limit` hits per `windowMs` per key) over a shared counter store, exact across
 * instances at the limit without a write per request:
 *
 * - a key's first hit in a window asks the store (it learns what other instances counted);
 * - while this instance's estimate is in the first three quarters of the budget, hits are
 *   admitted here and sent in batches of limit/64 (and at least once a second), for stores that
 *   ask for it (`batched`: the database);
 * - in the last quarter every hit asks the store, whose atomic increment decides: the limit is
 *   held exactly as long as the hits other instances hold unsent (each fewer than limit/64)
 *   add up to less than a quarter of it, i.e. with up to 16 instances at full speed on one key;
 * - once the store's total reaches the limit, hits are refused here until the window ends.
 *
 * Memory: one small record per key used in the current window. Per hit: a Map lookup, and a
 * store call only as above.
 */
export class SharedLimit {
  private readonly keys = new Map<string, KeyState>();
  private readonly batch: number;
  private readonly reserve: number;
  private flushTimer?: NodeJS.Timeout;
  private sweepAt = 0;

  constructor(
    private readonly counters: CounterStore,
    private readonly health: CounterHealth,
    private readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
    /** `options.clock`: the windows and reset times are read by it. */
    readonly clock: () => number,
  ) {
    this.batch = counters.batched ? Math.floor(limit / 64) : 0;
    this.reserve = Math.ceil(limit / 4);
  }

  /** Counts a hit on `key`: at once when it can be decided here, else after the store's answer. */
  take(key: string, now = this.clock()): Admission | Promise<Admission> {
    if (!this.health.available(now)) return this.uncounted(now);
    if (now >= this.sweepAt) this.sweep(now);
    let s = this.keys.get(key);
    if (s && s.resetAt <= now) {
      this.keys.delete(key);
      s = undefined;
    }
    if (s) {
      const estimate = s.known + s.inflight + s.pending;
      if (s.known >= this.limit) return { allowed: false, count: estimate + 1, resetAt: s.resetAt, counted: false };
      if (this.batch >= 2 && estimate < this.limit - this.reserve) {
        s.pending += 1;
        // send() cannot reject: post() turns a store failure into an uncounted (fail-open) answer.
        if (s.pending >= this.batch) void this.send(key, s);
        else this.flushSoon();
        return { allowed: true, count: estimate + 1, resetAt: s.resetAt, counted: true };
      }
    }
    return this.ask(key, s, now);
  }

  /** Gives a counted hit back (its answer was a 503: the database, not the client). */
  giveBack(key: string, admission: Admission): void {
    if (!admission.counted) return;
    const s = this.keys.get(key);
    if (s && s.resetAt === admission.resetAt && s.pending > 0) {
      s.pending -= 1;
      return;
    }
    this.health.within(this.counters.decrement(this.name + key, 1, this.windowMs, this.clock())).then(
      () => {
        if (s) s.known = Math.max(0, s.known - 1);
      },
      (error: unknown) => this.health.failed(error),
    );
  }

  /**
   * Sends every hit counted here and not yet sent (once a second, and at close): in one call for
   * all keys where the store can (`incrementMany`), so tokens each used a few times a second
   * cost one statement a second between them, not one each.
   */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const due = [...this.keys].filter(([, s]) => s.pending > 0);
    if (due.length > 1 && this.counters.incrementMany) await this.postMany(due);
    else await Promise.all(due.map(([key, s]) => this.send(key, s)));
  }

  private async ask(key: string, s: KeyState | undefined, now: number): Promise<Admission> {
    const w = await this.post(key, s, 1);
    return w
      ? { allowed: w.count <= this.limit, count: w.count, resetAt: w.resetAt, counted: true }
      : this.uncounted(now);
  }

  private async send(key: string, s: KeyState): Promise<void> {
    if (s.pending > 0) await this.post(key, s, 0);
  }

  /**
   * Sends the key's unsent hits and `extra` new ones to the store, and records its answer;
   * undefined when the store failed or did not answer in time (those hits pass uncounted).
   */
  private async post(key: string, s: KeyState | undefined, extra: number): Promise<CounterWindow | undefined> {
    const hits = (s?.pending ?? 0) + extra;
    if (s) {
      s.pending = 0;
      s.inflight += hits;
    }
    let w: CounterWindow;
    try {
      w = await this.health.within(this.counters.increment(this.name + key, hits, this.windowMs, this.clock()));
    } catch (error) {
      if (s) s.inflight -= hits;
      this.health.failed(error);
      return undefined;
    }
    this.settle(key, s, hits, w);
    return w;
  }

  /** `post` for several keys' unsent hits at once; a failure leaves them uncounted, as `post` does. */
  private async postMany(due: Array<[string, KeyState]>): Promise<void> {
    const hits = due.map(([, s]) => {
      const n = s.pending;
      s.pending = 0;
      s.inflight += n;
      return n;
    });
    let windows: CounterWindow[];
    try {
      windows = await this.health.within(
        this.counters.incrementMany!(
          due.map(([key], i) => ({ key: this.name + key, hits: hits[i] })),
          this.windowMs,
          this.clock(),
        ),
      );
    } catch (error) {
      due.forEach(([, s], i) => {
        s.inflight -= hits[i];
      });
      this.health.failed(error);
      return;
    }
    due.forEach(([key, s], i) => this.settle(key, s, hits[i], windows[i]));
  }

  /** A hit admitted without counting: the store is unavailable (fail open). */
  private uncounted(now: number): Admission {
    return { allowed: true, count: 0, resetAt: now + this.windowMs, counted: false };
  }

  /** Records the store's answer: the total is the newest known for that window. */
  private settle(key: string, sent: KeyState | undefined, hits: number, w: CounterWindow): void {
    this.health.answered();
    if (sent) sent.inflight -= hits;
    const s = this.keys.get(key);
    // Redis windows start at a key's first hit, so its reset times differ by milliseconds between answers.
    if (s && Math.abs(s.resetAt - w.resetAt) < this.windowMs / 2) s.known = Math.max(s.known, w.count);
    else if (w.resetAt > this.clock())
      this.keys.set(key, { resetAt: w.resetAt, known: w.count, pending: 0, inflight: 0 });
  }

  private flushSoon(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.flush(), FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Once a window: memory stays bounded by the keys used in the current one. */
  private sweep(now: number): void {
    for (const [key, s] of this.keys) if (s.resetAt <= now && s.pending === 0) this.keys.delete(key);
    this.sweepAt = now + this.windowMs;
  }
}
