/**
 * Counts the statements a piece of work sends to the database, on the driver connections of a
 * Knex pool (better-sqlite3's prepare, mysql2's query and execute, pg's query), so Knex's queries
 * and the store's prepared ones (store/prepared.ts) are counted alike. Used by the tests that pin
 * a request's statement count and by the bench (`--write-cost`, `--tenants`).
 */
import type { Knex } from 'knex';

type Conn = Record<string, unknown>;

/**
 * What runs on timers whatever the request does: the limits' counter flush (once a second) and the
 * verified-token cache's fingerprint check (every 800 ms). Tests that count a request's own
 * statements leave these out.
 */
export const BACKGROUND_STATEMENT = /rate_counters|SUM\(COALESCE\(revoked_at/;

/** Every statement sent on the pool's connections between start() and stop(), whitespace collapsed. */
export function countStatements(knex: Knex): { start(): void; stop(): string[] } {
  let log: string[] | undefined;
  const wrapped = new WeakSet<object>();
  const wrap = (conn: Conn) => {
    if (!conn || wrapped.has(conn)) return;
    wrapped.add(conn);
    for (const method of ['prepare', 'query', 'execute']) {
      const original = conn[method];
      if (typeof original !== 'function') continue;
      conn[method] = (...args: unknown[]) => {
        const first = args[0] as string | { sql?: string; text?: string };
        log?.push(String(typeof first === 'string' ? first : (first?.sql ?? first?.text)).replace(/\s+/g, ' '));
        return (original as (...a: unknown[]) => unknown).apply(conn, args);
      };
    }
  };
  const pool = (
    knex.client as {
      pool: {
        on(event: string, fn: (id: number, resource: Conn) => void): void;
        free: Array<{ resource: Conn }>;
        used: Array<{ resource: Conn }>;
      };
    }
  ).pool;
  pool.on('createSuccess', (_id, resource) => wrap(resource));
  for (const { resource } of [...pool.free, ...pool.used]) wrap(resource);
  return {
    start: () => {
      log = [];
    },
    stop: () => {
      const out = log ?? [];
      log = undefined;
      return out;
    },
  };
}
