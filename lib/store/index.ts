import type { Knex } from 'knex';
import { EventBuffer, IdentityEvents, type IdentityEventMap, type IdentityEventName } from '../model/events.js';
import type { Atomic } from './atomic.js';
import { AppSignInCodeStore } from './app-sign-in-codes.js';
import { AuditStore } from './audit.js';
import { ConnectorStore } from './connectors.js';
import type { StoreContext } from './context.js';
import { dialectOf, idiomsOf, type Dialect } from './dialect.js';
import { GroupStore } from './groups.js';
import { GroupCommit } from './group-commit.js';
import { Prepared } from './prepared.js';
import { migrateLatest, migrateRollbackAll } from './migrate.js';
import { RateCounterStore } from './rate-counters.js';
import { retryConflicts } from './retry.js';
import { connectionTransaction } from './connection-transaction.js';
import { tableNames, type TableNames } from './tables.js';
import { TokenStore } from './tokens.js';
import { UserTotals } from './user-totals.js';
import { UserStore } from './users.js';
import { WorkspaceStore } from './workspaces.js';

export * from '../model/types.js';
export { StoreError, isStoreError } from './errors.js';

/**
 * The typed store API. `transaction(fn)` gives `fn` a store bound to one transaction; events
 * raised inside it reach listeners only after it commits.
 */
export class IdentityStore {
  /** Connectors, their settings and OIDC configuration. */
  readonly connectors: ConnectorStore;
  /** SCIM bearer tokens. */
  readonly tokens: TokenStore;
  /** Users (reads; hosts write through `identity.users`). */
  readonly users: UserStore;
  /** Groups and memberships (reads; hosts write through `identity.groups`). */
  readonly groups: GroupStore;
  /** The provisioning log. */
  readonly audit: AuditStore;
  /** Registered workspaces and the users' recorded workspaces. */
  readonly workspaces: WorkspaceStore;
  /**
   * The rate limits' counters shared through this database (the default `rateLimitStore`).
   *
   * @internal The SCIM rate limits' (scim/rate-limit.ts), not the host's.
   */
  readonly counters: RateCounterStore;
  /**
   * One-time codes of mobile and desktop sign-in.
   *
   * @internal The app sign-in flow's (lib/sso), not the host's.
   */
  readonly appSignInCodes: AppSignInCodeStore;
  private readonly buffer: EventBuffer;
  /** SQLite only, when on: concurrent transactions share commits (group-commit.ts). */
  private readonly groupCommit?: GroupCommit;
  /** Which SQL the transactions speak (connection-transaction.ts). */
  private readonly dialect: Dialect;

  /**
   * `totals` is the root store's, shared by its transactions.
   *
   * @internal createIdentityConnector builds the store; hosts read it as `identity.store`.
   */
  constructor(
    /** The host's Knex instance; the connector never destroys it. */
    readonly knex: Knex,
    /** The prefix of every table name (`tablePrefix`, default `idc_`). */
    readonly tablePrefix: string,
    /** Where committed changes are announced (`identity.events`). */
    readonly events: IdentityEvents,
    private readonly trx?: Knex.Transaction,
    private readonly totals = new UserTotals(events),
    /** SQLite only: concurrent transactions share commits (the connector's `sqliteGroupCommit`, off unless the host turns it on). */
    groupCommit = false,
  ) {
    const tables: TableNames = tableNames(tablePrefix);
    const dialect = dialectOf(knex);
    const ctx: StoreContext = {
      db: trx ?? knex,
      tables,
      dialect,
      idioms: idiomsOf(dialect),
      prepared: new Prepared(trx ?? knex, dialect),
    };
    this.buffer = new EventBuffer(events, Boolean(trx));
    this.dialect = dialect;
    // Only over one connection (Knex's SQLite default): with more, a write on another connection would
    // wait on the batch's lock inside the synchronous driver, blocking the event loop the batch needs.
    const connections = (knex.client as { pool?: { max?: number } }).pool?.max;
    if (!trx && groupCommit && dialect === 'sqlite' && connections === 1) this.groupCommit = new GroupCommit(knex);
    const atomic: Atomic = { outside: !trx, run: (fn) => this.transaction(fn) };
    this.connectors = new ConnectorStore(ctx, this.buffer);
    this.tokens = new TokenStore(ctx, this.buffer, atomic);
    this.users = new UserStore(ctx, this.buffer, atomic, totals);
    this.groups = new GroupStore(ctx, this.users, this.buffer, atomic);
    this.audit = new AuditStore(ctx);
    this.workspaces = new WorkspaceStore(ctx, this.buffer);
    this.counters = new RateCounterStore(ctx, events);
    this.appSignInCodes = new AppSignInCodeStore(ctx);
  }

  /** The physical table names under this prefix, e.g. for a host's own reporting queries. */
  get tables(): TableNames {
    return tableNames(this.tablePrefix);
  }

  /** Raises an event for the host's listeners: after commit inside a transaction, at once outside one. */
  emit<K extends IdentityEventName>(name: K, ...args: IdentityEventMap[K]): void {
    this.buffer.emit(name, ...args);
  }

  /**
   * Runs `fn` with a store bound to one transaction: it commits when `fn` resolves and rolls back when it rejects;
   * events raised inside reach listeners only after the commit. A transaction that loses a race (a deadlock, a
   * Galera certification failure, a PostgreSQL serialization failure) is run again from the start, so `fn` must
   * have no effects outside the store. Inside a transaction, it runs `fn` on the same one.
   *
   * @throws the error `fn` threw, after the rollback; the database's conflict error once the retries are spent
   * (the SCIM and admin answers make it a 503).
   */
  async transaction<T>(fn: (tx: IdentityStore) => Promise<T>): Promise<T> {
    if (this.trx) return fn(this);
    if (this.groupCommit)
      return this.groupCommit.run(async (trx) => {
        const tx = new IdentityStore(this.knex, this.tablePrefix, this.events, trx, this.totals);
        return { value: await fn(tx), committed: () => tx.buffer.flush() };
      });
    // A lost race (deadlock, certification failure) rolled back everything `fn` wrote and the
    // events it raised are still held: running it again on a new transaction is safe.
    return retryConflicts(this.events, async () => {
      let tx: IdentityStore | undefined;
      const work = (trx: Knex.Transaction) => {
        tx = new IdentityStore(this.knex, this.tablePrefix, this.events, trx, this.totals);
        return fn(tx);
      };
      const result = await connectionTransaction(this.knex, this.dialect, work);
      tx?.buffer.flush();
      return result;
    });
  }

  /** Applies the shipped migrations not yet run under this prefix; answers their names. Same as `identity.migrate()`. */
  migrate(): Promise<string[]> {
    return migrateLatest(this.knex, this.tablePrefix);
  }
  /** Rolls back every migration under this prefix, dropping the tables and their rows (tests, uninstalls). */
  rollbackAll(): Promise<string[]> {
    return migrateRollbackAll(this.knex, this.tablePrefix);
  }
}
