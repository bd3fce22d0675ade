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

/**
 * Group commit on SQLite. SQLite writes one transaction at a time and each commit appends every
 * page it changed to the WAL, so concurrent writes that touch the same pages (the users table's
 * last leaf, its indexes', the audit log's) write those pages once per request. Here writes that
 * arrive while a transaction runs wait and then share the next one: each runs in its own
 * SAVEPOINT (a failure rolls back only its own work and rejects only its own caller), the batch
 * commits once, and every caller is answered only after the commit that holds its work (its
 * events too, through `committed`). A failed commit rejects every caller of the batch: none of it
 * is stored. Requests still run one after another, as they did on SQLite's one connection; only
 * BEGIN/COMMIT and the WAL's page writes are shared. A batch takes at most `maxBatch` requests so
 * reads waiting for the connection get it between batches.
 */
export class GroupCommit {
  private readonly queue: Job[] = [];
  private draining = false;

  constructor(
    private readonly knex: Knex,
    private readonly lockTable: string,
    private readonly maxBatch = 16,
  ) {}

  run<T>(work: (trx: Knex.Transaction) => Promise<GroupedWork<T>>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length) await this.batch();
    } finally {
      this.draining = false;
    }
  }

  private async batch(): Promise<void> {
    const done: Array<{ job: Job; result: GroupedWork<unknown> }> = [];
    const failed: Array<{ job: Job; error: unknown }> = [];
    try {
      await this.knex.transaction(async (trx) => {
        const sql = new Prepared(trx, 'sqlite');
        // Take the write lock first (a write statement does, even one that changes nothing): a
        // batch that read first could not upgrade once another connection had committed.
        await sql.run(`DELETE FROM ${this.lockTable} WHERE 0 = 1`, []);
        for (;;) {
          if (done.length + failed.length >= this.maxBatch) break;
          // A request runs from BEGIN to COMMIT without giving Node's event loop a turn (SQLite's
          // driver is synchronous), so no other request can reach its write meanwhile: one turn
          // (setImmediate) before committing lets requests already received get there and join.
          if (!this.queue.length) await new Promise((resolve) => setImmediate(resolve));
          if (!this.queue.length) break;
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
      });
    } catch (error) {
      for (const { job } of done) job.reject(error);
      for (const f of failed) f.job.reject(f.error);
      return;
    }
    for (const f of failed) f.job.reject(f.error);
    for (const { job, result } of done) {
      result.committed();
      job.resolve(result.value);
    }
  }
}
