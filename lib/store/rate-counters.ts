import type { CounterStore, CounterWindow } from '../model/counters.js';
import type { IdentityEvents } from '../model/events.js';
import { chunks, type StoreContext } from './context.js';
import { valueGroups } from './prepared.js';
import { retryConflicts } from './retry.js';

/**
 * The rate limits' shared counters on the host's database, the default store: one row per key
 * and fixed window (windows aligned on the clock, so every instance agrees on them without
 * asking), added to by one atomic upsert that also answers the new total — `ON CONFLICT DO
 * UPDATE … RETURNING` on SQLite and PostgreSQL, `ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(…)` on
 * MariaDB/MySQL (the OK packet carries the total; no second statement, no transaction). Rows of
 * ended windows are deleted by the first instance that opens a window after them, at most once
 * a window per process: one indexed DELETE.
 */
export class RateCounterStore implements CounterStore {
  readonly batched = true;
  private sweptWindow = 0;

  constructor(
    private readonly ctx: StoreContext,
    private readonly events: IdentityEvents,
  ) {}

  async increment(key: string, hits: number, windowMs: number, now: number): Promise<CounterWindow> {
    const { tables, prepared, dialect } = this.ctx;
    const start = Math.floor(now / windowMs) * windowMs;
    const resetAt = start + windowMs;
    const params = [key, start, hits, resetAt];
    let count: number;
    if (dialect !== 'mysql') {
      // The target's column qualified: PostgreSQL finds a bare `hits` ambiguous beside `excluded`.
      const rows = await prepared.all(
        `INSERT INTO ${tables.rateCounters} AS c (counter_key, window_start, hits, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (counter_key, window_start) DO UPDATE SET hits = c.hits + excluded.hits RETURNING hits`,
        params,
      );
      count = Number(rows[0].hits);
    } else {
      // Two Galera nodes adding to one row at once: one fails certification and is rolled back
      // whole, so it adds again rather than letting the hits pass uncounted (limits fail open
      // only for a store that does not answer).
      const result = await retryConflicts(this.events, () =>
        prepared.runForId(
          `INSERT INTO ${tables.rateCounters} (counter_key, window_start, hits, expires_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(hits + VALUES(hits))`,
          params,
        ),
      );
      // 1 row affected: inserted, the total is what we sent; 2: updated, LAST_INSERT_ID holds it.
      count = result.changes === 1 ? hits : result.insertId;
    }
    if (start > this.sweptWindow) {
      this.sweptWindow = start;
      void this.sweep(start).catch(() => undefined);
    }
    return { count, resetAt };
  }

  /**
   * One multi-row upsert per chunk of keys (each key once): on SQLite and PostgreSQL it answers the totals
   * (`RETURNING`); on MariaDB/MySQL, where LAST_INSERT_ID carries one total only, a second
   * statement reads them, which still sees every committed hit of other instances.
   */
  async incrementMany(
    entries: Array<{ key: string; hits: number }>,
    windowMs: number,
    now: number,
  ): Promise<CounterWindow[]> {
    const { tables, prepared, dialect } = this.ctx;
    const start = Math.floor(now / windowMs) * windowMs;
    const resetAt = start + windowMs;
    const totals = new Map<string, number>();
    for (const chunk of chunks(entries, 200)) {
      const params = chunk.flatMap((e) => [e.key, start, e.hits, resetAt]);
      const values = `(counter_key, window_start, hits, expires_at) VALUES ${valueGroups(chunk.length, 4)}`;
      if (dialect !== 'mysql') {
        // The alias: PostgreSQL finds `hits` ambiguous beside excluded.hits (as in increment).
        const rows = await retryConflicts(this.events, () =>
          prepared.all(
            `INSERT INTO ${tables.rateCounters} AS c ${values} ON CONFLICT (counter_key, window_start) DO UPDATE SET hits = c.hits + excluded.hits RETURNING counter_key, hits`,
            params,
            'varying',
          ),
        );
        for (const row of rows) totals.set(String(row.counter_key), Number(row.hits));
      } else {
        // A certification failure (two Galera nodes adding to one row) rolled the statement back: add again.
        await retryConflicts(this.events, () =>
          prepared.run(
            `INSERT INTO ${tables.rateCounters} ${values} ON DUPLICATE KEY UPDATE hits = hits + VALUES(hits)`,
            params,
            'varying',
          ),
        );
        const rows = await prepared.all(
          `SELECT counter_key, hits FROM ${tables.rateCounters} WHERE window_start = ? AND counter_key IN (${chunk.map(() => '?').join(', ')})`,
          [start, ...chunk.map((e) => e.key)],
          'varying',
        );
        for (const row of rows) totals.set(String(row.counter_key), Number(row.hits));
      }
    }
    if (start > this.sweptWindow) {
      this.sweptWindow = start;
      void this.sweep(start).catch(() => undefined);
    }
    return entries.map((e) => ({ count: totals.get(e.key) ?? e.hits, resetAt }));
  }

  async decrement(key: string, hits: number, windowMs: number, now: number): Promise<void> {
    const start = Math.floor(now / windowMs) * windowMs;
    await retryConflicts(this.events, () =>
      this.ctx.prepared.run(
        `UPDATE ${this.ctx.tables.rateCounters} SET hits = CASE WHEN hits > ? THEN hits - ? ELSE 0 END WHERE counter_key = ? AND window_start = ?`,
        [hits, hits, key, start],
      ),
    );
  }

  /** Removes windows that ended before `now`. */
  async sweep(now = Date.now()): Promise<number> {
    return this.ctx.prepared.run(`DELETE FROM ${this.ctx.tables.rateCounters} WHERE expires_at <= ?`, [now]);
  }
}
