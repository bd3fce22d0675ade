/**
 * `npm run bench -- --peers [--users N --rounds R --db sqlite|mysql|postgres[,…] --profile]`: this product
 * against SCIMMY + scimmy-routers (SQLite, one JSON row per user; and on Maps in memory) and Better
 * Auth's SCIM plugin (SQLite), on the same Entra workload, in the same run. Each round starts every server fresh
 * on an empty database, in a rotated order (round r starts with server r), so that load from
 * the rest of the machine falls on all of them alike; the table shows medians over the rounds.
 * CPU per request is each server's own (user + system from /proc/PID/stat); with --db mysql or
 * postgres, the database server's CPU is shown beside this product's. `--db a,b,…` measures this
 * product on each of those databases as servers of their own in the same rounds (the first is
 * "ours", the others columns beside it, as the peers).
 *
 * `--profile` writes a CPU profile of each of this product's servers and summarises its hot spots
 * per phase.
 *
 * The peers are installed on demand into bench/peers/ (its own package.json and node_modules),
 * never into the product's dependencies. A request a peer refuses is counted, and its first
 * answer shown, not skipped.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectKnex } from '../lib/store/connect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';
import { databaseCpu, freePort, readCpuMs, startHost } from './child.js';
import { ScimHttpTarget } from './http-driver.js';
import { DB_LABEL, type Db } from './report.js';
import { createDatabases, tokenPool, TOKEN_POOL } from './run.js';
import { deactivatePatch, guid, updatePatch, userDocument, type UserDocument } from './scenario.js';
import { preloadDemoUsers } from './preload.js';
import { loadAverageWatch, Recorder, runPool, seededRandom, shuffle } from './stats.js';
import { summarizeProfileDir, type ProfileWindow } from './profile.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PEERS_DIR = path.join(ROOT, 'bench', 'peers');

export interface PeersOptions {
  users?: number;
  concurrency?: number;
  rounds?: number;
  db?: Db;
  /** More databases this product runs on in the same rounds, each as a server of its own. */
  moreDbs?: Db[];
  mysqlUrl?: string;
  seed?: number;
  /** Users stored before the timed phases, each server seeding its own storage directly (the bench only). */
  preload?: number;
  /** A phase stops starting requests after this long (reads; writes get WRITE_BUDGET_FACTOR times it). */
  budgetMs?: number;
  /**
   * Another checkout of this product (e.g. main, with node_modules linked) measured as a server of
   * its own in the same interleaved rounds: "before" beside "ours" (the working tree).
   */
  beforeRoot?: string;
  /**
   * SQLite only: this product once more with group commit on (IDENTITY_SQLITE_GROUP_COMMIT=true in
   * its child's environment), as a server of its own in the same rounds ("ours, group commit on"),
   * while "ours" runs with it off whatever this process's environment says.
   */
  groupCommit?: boolean;
  /** Only this product (and `beforeRoot`): no peers, for quick before/after loops. */
  oursOnly?: boolean;
  /** Peers left out by name (e.g. "Better Auth"), to fit a run into a shorter time. */
  skip?: string[];
  /**
   * A V8 CPU profile of each of this product's servers, summarised per phase (profile.ts): the
   * hot spots of each phase's CPU, written to DIR/peers-profile-<time>/<server>-round<r>/summary.txt.
   */
  profile?: boolean;
  /** Where profiles go (default bench/results). */
  out?: string;
  log?: (line: string) => void;
}

/** A server under test, started fresh for one round. */
interface Running {
  pid: number;
  scimUrl: string;
  tokens: string[];
  stop(): Promise<void>;
}
/** `db`: this product (the working tree or `beforeRoot`) on that database, whose server's CPU is read too. */
interface Server {
  name: string;
  db?: Db;
  /** `profileDir`: this product writes a V8 CPU profile there when it stops (peers ignore it). */
  start(preload: Preload | undefined, profileDir?: string): Promise<Running>;
}
/** The preloaded users: Entra's users numbered from `from`, as JSON lines a peer reads at start. */
interface Preload {
  from: number;
  count: number;
  seed: number;
  file: string;
}

export const PHASES = {
  initial: 'initial cycle (GET filter + POST)',
  byUserName: 'lookup userName eq',
  byExternalId: 'lookup externalId eq',
  update: 'PATCH path-less Replace',
  deactivate: 'PATCH active "False" (Entra\'s string boolean)',
  firstPage: 'list first page (100)',
  lastPage: 'list last page (100)',
  delete: 'DELETE',
} as const;

export interface PhaseMeasure {
  requests: number;
  rps: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  dbCpuMsPerRequest?: number;
  errors: number;
  firstError?: string;
  /** Set when the time budget ended the phase before every planned item was served; items are requests, or users in the initial cycle (a GET and a POST or two each). */
  budget?: { served: number; planned: number; budgetMs: number; serial: boolean };
}
export type RoundResult = Record<string, PhaseMeasure>;

/** Installs the peers into bench/peers/node_modules unless they are there already. */
function ensurePeersInstalled(log: (line: string) => void): void {
  const installed = ['scimmy', 'scimmy-routers', 'better-auth', '@better-auth/scim'].every((p) =>
    fs.existsSync(path.join(PEERS_DIR, 'node_modules', p, 'package.json')),
  );
  if (installed) return;
  log('[peers] installing the peers into bench/peers/ (npm install, once)');
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: PEERS_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** A peer server script from bench/peers/, as a child process that prints "listening". */
function peerServer(name: string, script: string, scimPath: string, extraEnv: NodeJS.ProcessEnv = {}): Server {
  return {
    name,
    async start(preload) {
      const port = await freePort();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-peer-'));
      const token = `peer_${randomBytes(24).toString('base64url')}`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: String(port),
        DATABASE: path.join(dir, 'peer.sqlite'),
        TOKEN: token,
        NODE_ENV: 'production',
        ...extraEnv,
        ...(preload ? { PRELOAD_FILE: preload.file } : {}),
      };
      delete env.NODE_OPTIONS;
      const child = spawn(process.execPath, [script], { cwd: PEERS_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      // Seeding 100,000 users takes the peer tens of seconds before it listens.
      const startMs = 60_000 + (preload?.count ?? 0) * 2;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name} did not start within ${startMs / 1000} s:\n${output.slice(-2000)}`)),
          startMs,
        );
        const onData = (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (/listening/.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${code}) before listening:\n${output.slice(-2000)}`));
        });
      });
      return {
        pid: child.pid!,
        scimUrl: `http://127.0.0.1:${port}${scimPath}`,
        tokens: [token],
        stop: async () => {
          if (child.exitCode === null) {
            const exited = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(timer);
          }
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function ourServer(
  db: Db,
  mysqlUrl: string,
  root = ROOT,
  name = 'identity-connector',
  env?: NodeJS.ProcessEnv,
): Server {
  return {
    name,
    db,
    async start(preload, profileDir) {
      const stamp = `${Date.now()}${randomBytes(2).toString('hex')}`;
      const dbs = await createDatabases(db, stamp, mysqlUrl);
      const token = `bench_${randomBytes(24).toString('base64url')}`;
      const host = await startHost({
        root,
        databaseUrl: dbs.scimUrl,
        token,
        secretKey: randomBytes(36).toString('base64url'),
        profileDir,
        env,
      });
      // The product rate-limits per token (1,200 a minute): the load is spread over a pool.
      const tokens = await tokenPool(dbs.scimUrl, token, TOKEN_POOL);
      await allowMassDeprovisioning(dbs.scimUrl);
      if (preload) await preloadDemoUsers(dbs.scimUrl, preload.from, preload.count, preload.seed);
      return {
        pid: host.pid,
        scimUrl: host.scimUrl,
        tokens,
        stop: async () => {
          await host.stop();
          await dbs.drop();
        },
      };
    },
  };
}

/**
 * The peers' preload: Entra's users as JSON lines (in the shape a peer accepts), which each peer
 * script writes straight into its own tables before it listens (bench/peers/*.mjs).
 */
function writePreloadFile(dir: string, from: number, count: number, seed: number): string {
  const file = path.join(dir, 'preload.jsonl');
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = from; i < from + count; i += 1000) {
      const lines: string[] = [];
      for (let k = i; k < Math.min(i + 1000, from + count); k++)
        lines.push(JSON.stringify(plainer(userDocument(k, seed))));
      fs.writeSync(fd, lines.join('\n') + '\n');
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

const LOOKUPS = 500;
const PAGES = 50;
/**
 * A read phase stops starting requests after this long: a peer that scans every row takes
 * seconds per request at 100,000 users. Write phases get WRITE_BUDGET_FACTOR times it.
 */
const BUDGET_MS = 30_000;
const WRITE_BUDGET_FACTOR = 6;
/**
 * A read phase first sends one request alone; when it took longer than this share of the
 * budget, the rest are sent one at a time (a peer that blocks its event loop serves them one at
 * a time anyway), so that at most one request is in flight when the budget ends instead of a
 * queue of `concurrency` requests that would each take as long.
 */
const SLOW_SHARE = 1 / 20;

/**
 * What a stricter server may refuse in Entra's user, taken out: roles (Entra's type
 * "WindowsAzureActiveDirectoryRole" is not a canonical value) and the strings "True"/"False"
 * Entra sends for booleans.
 */
function plainer(doc: UserDocument): UserDocument {
  const { roles: _roles, ...rest } = doc;
  return withRealBooleans(rest as UserDocument);
}

function withRealBooleans<T>(value: T): T {
  if (value === 'True' || value === 'False') return (value === 'True') as T;
  if (Array.isArray(value)) return value.map(withRealBooleans) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRealBooleans(v)])) as T;
  return value;
}

/**
 * The workload deactivates and deletes 1,200 of 5,000 users within minutes: exactly what the
 * product's mass-deprovisioning guard stops (20 % by default) with 503s. The demo connector's
 * guard is raised to 100 % so that it still counts every deletion (its cost is measured) but lets
 * them through, as an admin who expects the change would set it.
 */
async function allowMassDeprovisioning(databaseUrl: string): Promise<void> {
  const knex = connectKnex(databaseUrl);
  try {
    const t = tableNames(DEFAULT_TABLE_PREFIX);
    const row = await knex(t.connectors)
      .select('id', 'settings')
      .where({ organization_id: 'demo-org', name: 'Entra ID' })
      .first();
    const settings = {
      ...JSON.parse(row.settings),
      deprovisionGuard: { percent: 100, windowMinutes: 60, minimumUsers: 50 },
    };
    await knex(t.connectors)
      .where({ id: row.id })
      .update({ settings: JSON.stringify(settings) });
  } finally {
    await knex.destroy();
  }
  // The host's verified-token cache keeps the connector's settings 800 ms.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

/** CLOCK_MONOTONIC in µs, the clock of V8's profile timestamps. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Entra's workload against one fresh server (`windows`: each phase's span, for a profile's summary). */
async function workload(
  target: ScimHttpTarget,
  pid: number,
  o: Required<Pick<PeersOptions, 'users' | 'concurrency' | 'seed' | 'budgetMs'>>,
  dbCpu?: () => number,
  windows?: ProfileWindow[],
): Promise<RoundResult> {
  const rec = new Recorder(1);
  const result: RoundResult = {};
  const random = seededRandom(o.seed);
  const firstErrors = new Map<string, string>();
  const time = async <T>(phase: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const before = rec.errors(phase);
    const value = await rec.time(phase, fn);
    if (rec.errors(phase) > before && !firstErrors.has(phase))
      firstErrors.set(phase, (rec.errorSamples.pop() ?? 'error').slice(phase.length + 2));
    rec.errorSamples.length = 0;
    return value;
  };
  let deadline = Infinity;
  const within = () => performance.now() < deadline;
  /**
   * One phase over `items`: stops starting requests once `budgetMs` has passed. With `sampled`
   * (reads), one request goes first alone, and if it alone took more than SLOW_SHARE of the
   * budget the rest go one at a time.
   */
  const measure = async <T>(
    phase: string,
    items: readonly T[],
    request: (item: T) => Promise<unknown>,
    budgetMs: number,
    sampled = false,
    timesItself = false,
  ) => {
    let served = 0;
    const timed = async (item: T) => {
      await (timesItself ? request(item) : time(phase, () => request(item)));
      served++;
    };
    deadline = performance.now() + budgetMs;
    const cpuBefore = readCpuMs(pid);
    const dbBefore = dbCpu ? dbCpu() : 0;
    const startUs = monotonicUs();
    const started = performance.now();
    let rest = items;
    let serial = false;
    if (sampled && items.length) {
      const probeStarted = performance.now();
      await timed(items[0]);
      serial = performance.now() - probeStarted > budgetMs * SLOW_SHARE;
      rest = items.slice(1);
    }
    await runPool(rest, serial ? 1 : o.concurrency, async (item) => {
      if (within()) await timed(item);
    });
    const elapsed = performance.now() - started;
    windows?.push({ name: phase, startUs, endUs: monotonicUs() });
    const row = rec.result(phase, [phase], elapsed);
    const perRequest = (ms: number) => (row.requests ? Math.round((ms / row.requests) * 100) / 100 : 0);
    result[phase] = {
      requests: row.requests,
      rps: row.rps,
      p99Ms: row.p99Ms,
      errors: row.errors,
      firstError: firstErrors.get(phase),
      cpuMsPerRequest: perRequest(readCpuMs(pid) - cpuBefore),
      ...(dbCpu ? { dbCpuMsPerRequest: perRequest(dbCpu() - dbBefore) } : {}),
      ...(served < items.length ? { budget: { served, planned: items.length, budgetMs, serial } } : {}),
    };
  };
  const writeBudget = o.budgetMs * WRITE_BUDGET_FACTOR;

  const everyone = Array.from({ length: o.users }, (_, i) => i);
  const ids: Array<string | undefined> = new Array(o.users);
  // Counted as one request each: the GET filter and the POST. A refused POST is counted, then
  // sent again in a plainer shape (and counted again), so that the later phases have users.
  // (The budget counts users, not requests: "planned" is the users.)
  await measure(
    PHASES.initial,
    everyone,
    async (i) => {
      const doc = userDocument(i, o.seed);
      const found = await time(PHASES.initial, () => target.findByUserName(doc.userName));
      if (found !== null) return;
      ids[i] =
        (await time(PHASES.initial, () => target.createUser(doc))) ??
        (await time(PHASES.initial, () => target.createUser(plainer(doc))));
    },
    writeBudget,
    false,
    true,
  );
  const created = shuffle(
    everyone.filter((i) => ids[i]),
    random,
  );
  const sample = () => shuffle([...created], random).slice(0, Math.min(LOOKUPS, created.length));
  await measure(
    PHASES.byUserName,
    sample(),
    (i) => target.findByUserName(userDocument(i, o.seed).userName),
    o.budgetMs,
    true,
  );
  await measure(
    PHASES.byExternalId,
    sample(),
    (i) => target.findByExternalId(guid(o.seed, 'user', i)),
    o.budgetMs,
    true,
  );
  const changing = Math.min(1000, Math.ceil(created.length / 5));
  const updated = created.slice(0, changing);
  await measure(PHASES.update, updated, (i) => target.patchUser(ids[i]!, updatePatch(i, o.seed).patch), writeBudget);
  const deactivated = created.slice(changing, changing + Math.ceil(changing / 5));
  await measure(
    PHASES.deactivate,
    deactivated,
    (i) => target.patchUser(ids[i]!, deactivatePatch(i, o.seed).patch),
    writeBudget,
  );
  const total = await target.countUsers();
  const pages = Array.from({ length: PAGES }, (_, k) => k);
  await measure(PHASES.firstPage, pages, () => target.listUsers(1, 100), o.budgetMs, true);
  await measure(PHASES.lastPage, pages, () => target.listUsers(Math.max(1, total - 99), 100), o.budgetMs, true);
  const deleted = created.slice(changing + deactivated.length, changing + deactivated.length + changing);
  await measure(PHASES.delete, deleted, (i) => target.deleteUser(ids[i]!), writeBudget);
  return result;
}

export interface PeersResult {
  db: Db;
  users: number;
  preload: number;
  budgetMs: number;
  concurrency: number;
  rounds: number;
  startedAt: string;
  load: { cpus: number; before: number; after: number };
  servers: string[];
  /** Per server, one result per round. */
  runs: Record<string, RoundResult[]>;
  /** Servers that could not be installed or started, and why. */
  unavailable: Record<string, string>;
}

export async function runPeers(options: PeersOptions = {}): Promise<PeersResult> {
  const o = {
    users: options.users ?? 5_000,
    concurrency: options.concurrency ?? 8,
    rounds: options.rounds ?? 3,
    db: options.db ?? 'sqlite',
    mysqlUrl: options.mysqlUrl ?? process.env.BENCH_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306',
    seed: options.seed ?? 6,
    preload: options.preload ?? 0,
    budgetMs: options.budgetMs ?? BUDGET_MS,
    log: options.log ?? (() => {}),
  };
  const unavailable: Record<string, string> = {};
  const servers: Server[] = [
    options.groupCommit
      ? ourServer(o.db, o.mysqlUrl, ROOT, 'identity-connector', { IDENTITY_SQLITE_GROUP_COMMIT: 'false' })
      : ourServer(o.db, o.mysqlUrl),
  ];
  if (options.groupCommit)
    servers.push(ourServer(o.db, o.mysqlUrl, ROOT, 'ours, group commit on', { IDENTITY_SQLITE_GROUP_COMMIT: 'true' }));
  for (const db of options.moreDbs ?? []) servers.push(ourServer(db, o.mysqlUrl, ROOT, `ours on ${DB_LABEL[db]}`));
  if (options.beforeRoot)
    servers.push(
      ourServer(o.db, o.mysqlUrl, path.resolve(options.beforeRoot), `before (${revisionOf(options.beforeRoot)})`),
    );
  if (!options.oursOnly)
    try {
      ensurePeersInstalled(o.log);
      const peers = [
        peerServer('SCIMMY SQLite', 'scimmy-server.mjs', '/scim/v2'),
        peerServer('SCIMMY memory', 'scimmy-server.mjs', '/scim/v2', { STORE: 'memory' }),
        peerServer('Better Auth', 'better-auth-server.mjs', '/api/auth/scim/v2'),
      ];
      servers.push(...peers.filter((p) => !options.skip?.includes(p.name)));
    } catch (error) {
      unavailable['SCIMMY SQLite, SCIMMY memory, Better Auth'] =
        `npm install in bench/peers failed: ${(error as Error).message}`;
    }
  const started = new Date();
  const load = loadAverageWatch();
  const runs: Record<string, RoundResult[]> = Object.fromEntries(servers.map((s) => [s.name, []]));
  const profileRoot = options.profile
    ? path.join(
        path.resolve(options.out ?? path.join(ROOT, 'bench', 'results')),
        `peers-profile-${started.toISOString().replace(/:/g, '-')}`,
      )
    : undefined;
  const preloadDir = o.preload ? fs.mkdtempSync(path.join(os.tmpdir(), 'idc-peers-preload-')) : undefined;
  const preload = preloadDir
    ? { from: o.users, count: o.preload, seed: o.seed, file: writePreloadFile(preloadDir, o.users, o.preload, o.seed) }
    : undefined;
  try {
    for (let round = 0; round < o.rounds; round++) {
      const order = servers.map((_, k) => servers[(k + round) % servers.length]);
      for (const server of order) {
        if (unavailable[server.name]) continue;
        o.log(`[peers] round ${round + 1}/${o.rounds}: ${server.name}`);
        let running: Running;
        const profileDir =
          profileRoot && server.db
            ? path.join(profileRoot, `${server.name.replace(/[^\w.-]+/g, '-')}-round${round + 1}`)
            : undefined;
        const windows: ProfileWindow[] = [];
        try {
          const starting = performance.now();
          running = await server.start(preload, profileDir);
          if (preload)
            o.log(
              `[peers] ${server.name} started with ${preload.count} preloaded users in ${Math.round(performance.now() - starting)} ms`,
            );
        } catch (error) {
          unavailable[server.name] = (error as Error).message;
          o.log(`[peers] ${server.name} could not start: ${(error as Error).message}`);
          continue;
        }
        const target = new ScimHttpTarget(running.scimUrl, running.tokens, o.concurrency);
        try {
          runs[server.name].push(
            await workload(target, running.pid, o, server.db ? databaseCpu(server.db) : undefined, windows),
          );
        } finally {
          await target.close();
          await running.stop();
        }
        if (profileDir)
          o.log(`[peers] hot spots of ${server.name} per phase: ${summarizeProfileDir(profileDir, ROOT, windows)}`);
      }
    }
  } finally {
    if (preloadDir) fs.rmSync(preloadDir, { recursive: true, force: true });
  }
  return {
    db: o.db,
    users: o.users,
    preload: o.preload,
    budgetMs: o.budgetMs,
    concurrency: o.concurrency,
    rounds: o.rounds,
    startedAt: started.toISOString(),
    load: load.end(),
    servers: servers.map((s) => s.name).filter((name) => runs[name].length),
    runs,
    unavailable,
  };
}

/** The commit a checkout is at (a `git archive` copy has none: its directory name then). */
function revisionOf(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return path.basename(path.resolve(root));
  }
}

export function median(values: number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The side-by-side table: medians over the rounds, ratios against this product. */
export function renderPeers(r: PeersResult): string {
  const [ours, ...peers] = r.servers;
  const med = (server: string, phase: string, field: 'rps' | 'cpuMsPerRequest' | 'dbCpuMsPerRequest' | 'p99Ms') =>
    median(r.runs[server].map((run) => run[phase]?.[field] ?? 0));
  const withDb = r.db !== 'sqlite';
  const anyDb = r.servers.some((s) =>
    r.runs[s].some((run) => Object.values(run).some((m) => m?.dbCpuMsPerRequest !== undefined)),
  );
  const head = [
    'phase',
    `ours req/s`,
    ...peers.map((p) => `${p} req/s`),
    ...peers.map((p) => `ours ÷ ${p}`),
    'ours CPU-ms/req',
    ...(withDb ? [`${DB_LABEL[r.db]} CPU-ms/req`] : []),
    ...peers.map((p) => `${p} CPU-ms/req`),
    'ours p99 ms',
    ...peers.map((p) => `${p} p99 ms`),
    'refused / failed',
    'cut by the time budget',
  ];
  const lines = [
    `### Peers on ${r.db !== 'sqlite' ? `${DB_LABEL[r.db]} (ours; the peers on SQLite)` : 'SQLite'}: ${fmt(r.users + (r.preload ?? 0))} users${r.preload ? ` (${fmt(r.preload)} preloaded, ${fmt(r.users)} through SCIM)` : ''}, concurrency ${r.concurrency}, ${r.rounds} interleaved rounds (medians)`,
    '',
    `Started ${r.startedAt}. Load average ${r.load.before} → ${r.load.after} on ${r.load.cpus} CPUs (other work on the machine lowers req/s; CPU-ms/req is far less sensitive to it).`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, k) => (k === 0 ? '---' : '--:')).join(' | ')} |`,
  ];
  /** "SCIMMY SQLite: n=3 of 50 in 30 s budget (one at a time)", per round when a phase was cut. */
  const budgetCuts = (phase: string) =>
    r.servers.flatMap((s) => {
      const cut = r.runs[s].map((run) => run[phase]).filter((m) => m?.budget);
      if (!cut.length) return [];
      const b = cut[0].budget!;
      return [
        `${s}: n=${cut.map((m) => fmt(m.budget!.served)).join('/')} of ${fmt(b.planned)}${phase === PHASES.initial ? ' users' : ''} in ${fmt(b.budgetMs / 1000)} s budget${b.serial ? ' (one at a time: the first took over 1/20 of it)' : ''}`,
      ];
    });
  for (const phase of Object.values(PHASES)) {
    const oursRps = med(ours, phase, 'rps');
    const failures = r.servers
      .map((s) => {
        const errors = median(r.runs[s].map((run) => run[phase]?.errors ?? 0));
        const first = r.runs[s].map((run) => run[phase]?.firstError).find(Boolean);
        return errors
          ? `${s}: ${fmt(errors)} of ${fmt(median(r.runs[s].map((run) => run[phase]?.requests ?? 0)))} (${first?.replace(/\|/g, '\\|').slice(0, 160)})`
          : '';
      })
      .filter(Boolean);
    lines.push(
      `| ${[
        phase,
        fmt(oursRps),
        ...peers.map((p) => fmt(med(p, phase, 'rps'))),
        ...peers.map((p) => {
          const rps = med(p, phase, 'rps');
          return rps ? `${fmt(oursRps / rps, 2)}×` : '–';
        }),
        fmt(med(ours, phase, 'cpuMsPerRequest'), 2),
        ...(withDb ? [fmt(med(ours, phase, 'dbCpuMsPerRequest'), 2)] : []),
        // A "before" checkout of this product, or ours on another database, shows that database's CPU after a "+".
        ...peers.map(
          (p) =>
            fmt(med(p, phase, 'cpuMsPerRequest'), 2) +
            (r.runs[p].some((run) => run[phase]?.dbCpuMsPerRequest !== undefined)
              ? ` + ${fmt(med(p, phase, 'dbCpuMsPerRequest'), 2)}`
              : ''),
        ),
        fmt(med(ours, phase, 'p99Ms'), 1),
        ...peers.map((p) => fmt(med(p, phase, 'p99Ms'), 1)),
        failures.join('; ') || '–',
        budgetCuts(phase).join('; ') || '–',
      ].join(' | ')} |`,
    );
  }
  lines.push(
    '',
    `Initial cycle: each user is one GET filter and one POST, both counted; a POST refused for Entra's shape is counted under "refused / failed" (first answer shown) and sent again without roles and with real booleans (also counted), so that later phases have users. Any refused request counts in req/s. Each phase stops starting requests after its time budget (reads ${fmt(r.budgetMs / 1000)} s, writes ${fmt((r.budgetMs * WRITE_BUDGET_FACTOR) / 1000)} s; req/s = those served ÷ time). A read phase sends its first request alone and, if that took over 1/20 of the budget, the rest one at a time.${r.preload ? ` Preloaded users are written straight into each server's own tables before it listens (ours: bench/preload.ts; the peers: PRELOAD_FILE in their scripts; the peers' hashed lookup keys for them are random, so only the SCIM-created users are looked up).` : ''}`,
  );
  if (anyDb)
    lines.push(
      "A database's CPU-ms/req is the whole server while ours ran (mariadbd; PostgreSQL's postmaster with every backend): other engineers' work on the same server adds to it.",
    );
  for (const [name, why] of Object.entries(r.unavailable))
    lines.push('', `**${name} not measured:** ${why.split('\n')[0]}`);
  return lines.join('\n');
}
