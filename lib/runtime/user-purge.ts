import type { Logger } from 'winston';
import type { IdentityEvents } from '../model/events.js';
import { errorFields } from './log.js';

/** What the purge calls: the store's `users.purgeDeleted` (lib/store/users.ts). */
export interface PurgeTarget {
  /** Purges up to `limit` queued users; answers how many it took. */
  purgeDeleted(limit: number): Promise<number>;
  /**
   * Whether the tables exist yet. Asked until it answers true: a host that migrates after creating
   * the connector (as the README does) starts it before its tables exist, and a purge then is no
   * failure to warn about. `identity.migrate()` asks for a run once it has migrated.
   */
  migrated?(): Promise<boolean>;
}

/** When the purge runs; the defaults suit a host, tests shorten them. */
export interface PurgeTiming {
  /** Users a transaction purges (one set-based DELETE per search table). */
  batch: number;
  /** How soon after a delete commits (several deletes in this time share one run). */
  soonMs: number;
  /** How often it looks for other instances' deletes, and retries after a failure. */
  everyMs: number;
}

const DEFAULT_TIMING: PurgeTiming = { batch: 500, soonMs: 1_000, everyMs: 60_000 };
/** The longest `close` waits for a run in progress. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Runs the deleted users' purge in the background of the host's process: soon after a delete or
 * a connector's deletion commits here, once at start, and periodically for other instances'
 * deletes; each run purges batches until the queue is empty. It never throws: a failure (a
 * database that is down) is logged and retried at the next period. Its one timer is unref'd, so
 * it keeps no process alive; `close` stops it and waits for a run in progress.
 */
export class UserPurge {
  private timer?: NodeJS.Timeout;
  private dueAt = Infinity;
  private running?: Promise<void>;
  /** A delete arrived during a run: run again straight after it. */
  private again = false;
  private closed = false;
  /** The target said its tables exist (or has no way to say). */
  private ready = false;
  private readonly timing: PurgeTiming;

  constructor(
    private readonly target: PurgeTarget,
    private readonly logger: Logger,
    timing: Partial<PurgeTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  /** Starts the schedule: a first run soon, and a run soon after every delete announced on `events`. */
  start(events: IdentityEvents): void {
    const soon = () => this.soon();
    events.on('user.deleted', soon);
    events.on('connector.deleted', soon);
    this.schedule(this.timing.soonMs);
  }

  /** Asks for a run within `soonMs`; several asks share it. */
  soon(): void {
    if (this.running) this.again = true;
    else this.schedule(this.timing.soonMs);
  }

  /** Whether a run is scheduled or in progress (false once closed and finished). */
  get pending(): boolean {
    return this.timer !== undefined || this.running !== undefined;
  }

  /**
   * Stops the schedule and waits for a run in progress (then the host may destroy Knex), for at most
   * `CLOSE_WAIT_MS`: a run stuck on a frozen database must not hold the host's shutdown. Such a run
   * fails when Knex is destroyed, and is caught and logged like any other failure.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
      timer.unref();
    });
    await Promise.race([this.running, waited]);
    clearTimeout(timer);
  }

  /** Sets the timer to `ms` from now, unless it is set to fire earlier already. */
  private schedule(ms: number): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    if (this.timer && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dueAt = Infinity;
      this.running = this.run()
        .catch(() => undefined) // run() catches and logs; this is for a logger that throws
        .finally(() => {
          this.running = undefined;
          this.schedule(this.again ? this.timing.soonMs : this.timing.everyMs);
          this.again = false;
        });
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      if (!this.ready) {
        this.ready = (await this.target.migrated?.()) ?? true;
        if (!this.ready) {
          this.logger.debug('the purge waits for the tables: not migrated yet');
          return;
        }
      }
      let purged = 0;
      for (let n = this.timing.batch; n === this.timing.batch && !this.closed; purged += n) {
        n = await this.target.purgeDeleted(this.timing.batch);
      }
      if (purged) this.logger.debug('purged deleted users’ search rows', { users: purged });
    } catch (error) {
      this.logger.warn('purging deleted users’ search rows failed; retrying later', {
        retryInMs: this.timing.everyMs,
        ...errorFields(error),
      });
    }
  }
}
