import type { Knex } from 'knex';
import { Prepared } from './prepared.js';

/** What a request's work hands back: its value, and what to do once the commit holding it is durable. */
export interface GroupedWork<T> {
  value: T;
  committed: () => void;
}

interface Job {
  work: (trx: Knex.Transaction) => Promise<GroupedWork<unknown>>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** better-sqlite3's connection, as far as the batch uses it. */
interface SqliteConnection {
  prepare(sql: string): { run(params?: unknown[]): unknown };
  readonly inTransaction: boolean;
}

interface Pool {
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(conn: SqliteConnection): Promise<unknown>;
}

/** Turns in a row that found nobody to share with before lone batches stop waiting one. */
const MISSES_TO_STOP = 4;

/**
 * Group commit on SQLite. SQLite writes one transaction at a time and each commit appends every
 * page it changed to the WAL, so concurrent writes that touch the same pages (the users table's
 * last leaf, its indexes', the audit log's) write those pages once per request. Here writes that
 * arrive while one is queued share one transaction: the batch commits once, and every caller is
 * answered only after the commit that holds its work (its events too, through `committed`). A
 * failed commit rejects every caller of the batch: none of it is stored, none of its events raised.
 * Requests still run one after another, as they did on SQLite's one connection; only BEGIN/COMMIT
 * and the WAL's page writes are shared. A batch takes at most `maxBatch` requests so reads
 * waiting for the connection get it between batches.
 *
 * It costs nothing when there is nothing to share:
 * - The transaction starts with `BEGIN IMMEDIATE` (the write lock at once: a batch that read
 *   first could not upgrade once another connection, e.g. the CLI, had committed), in place of
 *   Knex's `BEGIN` (it has no option for the mode: the connection handed to the transaction
 *   rewrites that one statement), not a write statement after it.
 * - The first request of a batch runs without a SAVEPOINT. Requests run one after another, so
 *   while the first runs, the transaction holds its work and nobody else's: if it fails, ROLLBACK
 *   of the whole transaction undoes exactly its statements, and the requests queued behind it start
 *   a new batch. Only the requests that join after it succeeded run in a SAVEPOINT each (a failure
 *   rolls back only its own work and rejects only its own caller). Alone, a write is BEGIN, its
 *   statements, COMMIT: what it is with group commit off.
 * - Nothing waits inside the transaction: the batch takes the requests already queued when it
 *   starts and those queued while it runs, and commits. Waiting for more (one event-loop turn) is
 *   done before BEGIN, holding neither the connection nor the lock, so reads go on meanwhile, and
 *   only once writes have been seen arriving together. A request runs from BEGIN to COMMIT without
 *   giving Node's event loop a turn (SQLite's driver is synchronous), so the signal is a write
 *   that reaches the store while another is queued or running, or in the same event-loop turn
 *   as the previous batch ended (several requests read in one poll of the sockets). Then every
 *   lone batch waits one turn for others, until MISSES_TO_STOP turns in a row found nobody. One
 *   client at a time never sends a write in the turn its previous answer left in, so a write at
 *   concurrency 1 never waits.
 */
export class GroupCommit {
  private readonly queue: Job[] = [];
  private draining = false;
  /** Whether lone batches wait a turn for others (the last turns found some). */
  private sharing = false;
  private misses = 0;
  /** True from the end of a batch until the event loop's next turn (setImmediate). */
  private sameTurn = false;
  private readonly turnEnded = () => {
    this.sameTurn = false;
  };
  private readonly immediate = new WeakMap<SqliteConnection, SqliteConnection>();

  constructor(
    private readonly knex: Knex,
    private readonly maxBatch = 16,
  ) {}

  /**
   * Runs `work` in a batch's transaction; resolves with its value once the COMMIT holding it is
   * done (after calling its `committed`), rejects with its own error or with the failed COMMIT's.
   */
  run<T>(work: (trx: Knex.Transaction) => Promise<GroupedWork<T>>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // Another write reached the store in the turn a batch ended in, or while one is queued or
      // running: requests are arriving together (several sockets read in one poll), not one by one.
      if (this.sameTurn || this.draining) this.startSharing();
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length) {
        if (this.queue.length === 1 && this.sharing) {
          await new Promise((resolve) => setImmediate(resolve));
          if (this.queue.length > 1) {
            this.misses = 0;
          } else if (++this.misses >= MISSES_TO_STOP) this.sharing = false;
        }
        await this.batch();
        if (!this.sameTurn) {
          this.sameTurn = true;
          setImmediate(this.turnEnded);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async batch(): Promise<void> {
    const done: Array<{ job: Job; result: GroupedWork<unknown> }> = [];
    const failed: Array<{ job: Job; error: unknown }> = [];
    const pool = this.knex.client as Pool;
    let conn: SqliteConnection;
    try {
      conn = await pool.acquireConnection();
    } catch (error) {
      for (const job of this.queue.splice(0, this.maxBatch)) job.reject(error);
      return;
    }
    try {
      await this.knex.transaction(
        async (trx) => {
          // Knex runs this even when BEGIN failed (its promise is rejected with BEGIN's error
          // already): take no request then, or it would run outside any transaction.
          if (!conn.inTransaction) throw new Error('BEGIN IMMEDIATE failed');
          const first = this.queue.shift()!;
          try {
            done.push({ job: first, result: await first.work(trx) });
          } catch (error) {
            // Alone in the transaction: its ROLLBACK undoes this request's statements and nothing else.
            failed.push({ job: first, error });
            throw error;
          }
          const sql = new Prepared(trx, 'sqlite');
          while (this.queue.length && done.length + failed.length < this.maxBatch) {
            const job = this.queue.shift()!;
            await sql.run('SAVEPOINT request', []);
            try {
              done.push({ job, result: await job.work(trx) });
            } catch (error) {
              failed.push({ job, error });
              // Only this request's statements go; an error SQLite answers by rolling back the
              // whole transaction makes this statement fail, and the batch with it.
              await sql.run('ROLLBACK TO request', []);
            }
            await sql.run('RELEASE request', []);
          }
        },
        { connection: this.beginImmediate(conn) },
      );
    } catch (error) {
      for (const { job } of done) job.reject(error);
      for (const f of failed) f.job.reject(f.error);
      // BEGIN IMMEDIATE itself failed (another connection held the write lock past busy_timeout):
      // no request ran; those that would have are refused, as a write is with group commit off,
      // rather than the batch trying again at once, for ever.
      if (!done.length && !failed.length) for (const job of this.queue.splice(0, this.maxBatch)) job.reject(error);
      return;
    } finally {
      // A COMMIT that failed (a deferred constraint) leaves the transaction open, and Knex does not
      // roll it back: the connection must not go back to the pool inside it.
      if (conn.inTransaction) conn.prepare('ROLLBACK').run();
      await pool.releaseConnection(conn);
    }
    for (const f of failed) f.job.reject(f.error);
    for (const { job, result } of done) {
      result.committed();
      job.resolve(result.value);
    }
  }

  private startSharing(): void {
    this.sharing = true;
    this.misses = 0;
  }

  /** The connection as the batch's transaction sees it: Knex's `BEGIN;` runs as `BEGIN IMMEDIATE`. */
  private beginImmediate(conn: SqliteConnection): SqliteConnection {
    let wrapped = this.immediate.get(conn);
    if (!wrapped) {
      wrapped = Object.create(conn, {
        prepare: { value: (sql: string) => conn.prepare(/^BEGIN;?$/i.test(sql) ? 'BEGIN IMMEDIATE' : sql) },
      }) as SqliteConnection;
      this.immediate.set(conn, wrapped);
    }
    return wrapped;
  }
}
