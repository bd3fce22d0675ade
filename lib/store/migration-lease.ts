import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { isRetryableConflict } from './errors.js';

/** How long a lease holds without renewal: a migrator killed mid-run is taken over after this. */
export const LEASE_MS = 30_000;
/** The holder renews its lease this often, far inside LEASE_MS. */
const RENEW_MS = 5_000;

/** Whether the server is a node of a Galera cluster (MariaDB Galera, Percona XtraDB Cluster). */
export async function isGaleraNode(knex: Knex | Knex.Transaction): Promise<boolean> {
  const [rows] = await knex.raw("SHOW VARIABLES LIKE 'wsrep_on'");
  return String((rows as Array<{ Value?: string }>)[0]?.Value ?? '').toUpperCase() === 'ON';
}

/**
 * The migration lock of a multi-primary cluster. MariaDB's GET_LOCK holds only on the node that
 * granted it, so instances starting on two nodes would both migrate; a row, by contrast, is
 * certified cluster-wide: of two nodes inserting it at once, one commit fails certification.
 * The row carries a lease that its holder renews while it runs, so a holder that died (or lost
 * its node) is taken over once the lease has run out — there is no session to end as with
 * GET_LOCK. The table is created with IF NOT EXISTS (DDL replicates in total order, so
 * concurrent creators agree) and dropped with the connector's other bookkeeping tables.
 */
export class MigrationLease {
  private readonly holder = randomUUID();
  private timer?: NodeJS.Timeout;
  private lost = false;

  constructor(
    private readonly knex: Knex,
    private readonly table: string,
    private readonly name: string,
  ) {}

  /** Waits until this instance holds the lease, or throws after `waitMs`. */
  async acquire(waitMs: number): Promise<void> {
    await this.knex.raw(
      `CREATE TABLE IF NOT EXISTS \`${this.table}\` (name VARCHAR(191) NOT NULL PRIMARY KEY, holder CHAR(36) NOT NULL, expires_at BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt += 1) {
      if (await this.tryTake()) break;
      if (Date.now() > deadline)
        throw new Error(`Another migrator held the migration lease ${this.name} for over ${waitMs} ms`);
      // Jittered, growing to a second: several instances waiting do not retry in step.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random())),
      );
    }
    this.timer = setInterval(() => {
      this.renew().catch(() => {
        this.lost = true;
      });
    }, RENEW_MS);
    this.timer.unref();
  }

  /** Inserts the lease row, or takes over one whose lease ran out; a certification failure is a lost race. */
  private async tryTake(): Promise<boolean> {
    const now = Date.now();
    try {
      const [inserted] = await this.knex.raw(
        `INSERT IGNORE INTO \`${this.table}\` (name, holder, expires_at) VALUES (?, ?, ?)`,
        [this.name, this.holder, now + LEASE_MS],
      );
      if ((inserted as { affectedRows: number }).affectedRows === 1) return true;
      const [taken] = await this.knex.raw(
        `UPDATE \`${this.table}\` SET holder = ?, expires_at = ? WHERE name = ? AND expires_at < ?`,
        [this.holder, now + LEASE_MS, this.name, now],
      );
      return (taken as { affectedRows: number }).affectedRows === 1;
    } catch (error) {
      if (isRetryableConflict(error)) return false;
      throw error;
    }
  }

  private async renew(): Promise<void> {
    const [renewed] = await this.knex.raw(`UPDATE \`${this.table}\` SET expires_at = ? WHERE name = ? AND holder = ?`, [
      Date.now() + LEASE_MS,
      this.name,
      this.holder,
    ]);
    if ((renewed as { affectedRows: number }).affectedRows !== 1) this.lost = true;
  }

  /** Whether the lease was lost while held (renewal failed or another took it over). */
  get wasLost(): boolean {
    return this.lost;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.knex.raw(`DELETE FROM \`${this.table}\` WHERE name = ? AND holder = ?`, [this.name, this.holder]);
  }
}
