/**
 * `npm run bench [-- --users N --groups G --concurrency C --db sqlite|mysql --keep --out DIR --profile]`
 *
 * Starts the demo host on a fresh database as a child process, plays Entra's provisioning
 * cycles against it over HTTP, then plays the same row writes and reads through raw Knex on
 * another fresh database, and reports both (Markdown on stdout, JSON in DIR/<timestamp>.json).
 * Exits 1 when any request failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import mysql from 'mysql2/promise';
import { connectKnex } from '../lib/store/connect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';
import { hashToken } from '../lib/store/tokens.js';
import { databaseCpu, MemorySampler, readCpuMs, startHost } from './child.js';
import { ScimHttpTarget } from './http-driver.js';
import { summarizeProfileDir, type ProfileWindow } from './profile.js';
import { preloadDemoUsers } from './preload.js';
import { RawKnexTarget } from './raw-baseline.js';
import { checkTargets, markdownTable, markdownTargets, ratiosOf, type BenchResult, type Db } from './report.js';
import { runScenario, type ScenarioRun } from './scenario.js';
import { loadAverageWatch } from './stats.js';

export interface BenchOptions {
  users?: number;
  groups?: number;
  concurrency?: number;
  db?: Db;
  /** Server URL without a database; default BENCH_MYSQL_URL or mysql://root:@127.0.0.1:3306. */
  mysqlUrl?: string;
  /** Keep the databases (and print where they are). */
  keep?: boolean;
  /** Where the JSON goes (default bench/results). */
  out?: string;
  /** Write a CPU profile of the child and print its hot spots. */
  profile?: boolean;
  /** Users written straight into both databases before the timed phases (preload.ts). */
  preload?: number;
  seed?: number;
  /** Progress lines; the CLI sends them to stderr. */
  log?: (line: string) => void;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * Requests take these tokens in turn so that none reaches the per-token rate limit (1,200 a
 * minute by default): 200 tokens carry up to 4,000 requests/s. Each token's first use in a
 * minute also updates its last_used_at row, so the pool is not made larger than needed.
 */
export const TOKEN_POOL = 200;

interface Databases {
  scimUrl: string;
  rawUrl: string;
  where: string;
  drop(): Promise<void>;
}

export async function createDatabases(db: Db, stamp: string, mysqlUrl: string): Promise<Databases> {
  if (db === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `idc-bench-${stamp}-`));
    return {
      scimUrl: `sqlite:${path.join(dir, 'scim.sqlite')}`,
      rawUrl: `sqlite:${path.join(dir, 'raw.sqlite')}`,
      where: dir,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  // BENCH_DB_PREFIX: where several people share one server, each names their own databases.
  const prefix = process.env.BENCH_DB_PREFIX ?? 'idc_bench';
  const names = [`${prefix}_${stamp}`, `${prefix}_${stamp}_raw`];
  if (db === 'postgres') return createPgDatabases(names);
  const server = mysqlUrl.replace(/\/+$/, '');
  const admin = async <T>(fn: (c: mysql.Connection) => Promise<T>) => {
    const connection = await mysql.createConnection({ uri: server });
    try {
      return await fn(connection);
    } finally {
      await connection.end();
    }
  };
  await admin(async (c) => {
    for (const name of names) await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  });
  return {
    scimUrl: `${server}/${names[0]}`,
    rawUrl: `${server}/${names[1]}`,
    where: names.join(', '),
    drop: () =>
      admin(async (c) => {
        for (const name of names) await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      }),
  };
}

/** BENCH_PG_URL: the PostgreSQL server without a database (default postgres://postgres@127.0.0.1:5432). */
async function createPgDatabases(names: string[]): Promise<Databases> {
  const server = (process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
  const admin = async (sql: string) => {
    const knex = knexFactory({ client: 'pg', connection: `${server}/postgres`, pool: { min: 0, max: 1 } });
    try {
      for (const name of names) await knex.raw(sql, [name]);
    } finally {
      await knex.destroy();
    }
  };
  await admin('CREATE DATABASE ??');
  return {
    scimUrl: `${server}/${names[0]}`,
    rawUrl: `${server}/${names[1]}`,
    where: names.join(', '),
    drop: () => admin('DROP DATABASE IF EXISTS ?? WITH (FORCE)'),
  };
}

/**
 * Gives the demo connector `count` more tokens, written straight into the bench's own fresh
 * database: the store allows two live tokens, the rate limit is per token, and the demo host
 * offers no way to raise it.
 */
/** The commit measured, and whether lib/ or examples/ had uncommitted changes (read-only git). */
function revision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib', 'examples', 'migrations'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}+uncommitted` : head;
  } catch {
    return 'unknown';
  }
}

export async function tokenPool(databaseUrl: string, bootstrap: string, count: number): Promise<string[]> {
  const knex = connectKnex(databaseUrl);
  try {
    const t = tableNames(DEFAULT_TABLE_PREFIX);
    const connector = await knex(t.connectors)
      .select('id')
      .where({ organization_id: 'demo-org', name: 'Entra ID' })
      .first();
    if (!connector) throw new Error('the demo host did not create its demo connector');
    const tokens = Array.from({ length: count }, () => `bench_${randomBytes(24).toString('base64url')}`);
    const rows = tokens.map((token) => ({
      id: randomUUID(),
      connector_id: connector.id,
      token_hash: hashToken(token),
      display_prefix: token.slice(0, 8),
      label: 'bench',
      created_at: Date.now(),
    }));
    for (let i = 0; i < rows.length; i += 100) await knex(t.scimTokens).insert(rows.slice(i, i + 100));
    return [bootstrap, ...tokens];
  } finally {
    await knex.destroy();
  }
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const o = {
    users: options.users ?? 10_000,
    groups: options.groups ?? 100,
    concurrency: options.concurrency ?? 8,
    db: options.db ?? 'sqlite',
    mysqlUrl: options.mysqlUrl ?? process.env.BENCH_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306',
    keep: options.keep ?? false,
    out: path.resolve(options.out ?? path.join(ROOT, 'bench', 'results')),
    profile: options.profile ?? false,
    preload: options.preload ?? 0,
    seed: options.seed ?? 6,
    log: options.log ?? (() => {}),
  };
  if (!['sqlite', 'mysql', 'postgres'].includes(o.db))
    throw new Error(`--db must be sqlite, mysql or postgres (got ${String(o.db)})`);
  for (const name of ['users', 'groups', 'concurrency', 'preload'] as const) {
    if (!Number.isInteger(o[name]) || o[name] < (name === 'groups' || name === 'preload' ? 0 : 1))
      throw new Error(`--${name} must be a positive integer`);
  }
  const started = new Date();
  const load = loadAverageWatch();
  const stamp = started
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/\D/g, '');
  const scenario = { users: o.users, groups: o.groups, concurrency: o.concurrency, seed: o.seed };
  fs.mkdirSync(o.out, { recursive: true });
  const profileDir = o.profile ? path.join(o.out, `profile-${stamp}`) : undefined;

  const dbs = await createDatabases(o.db, stamp, o.mysqlUrl);
  o.log(`[bench] ${o.db} databases: ${dbs.where}`);
  try {
    // The SCIM side: the demo host as a child process.
    const token = `bench_${randomBytes(24).toString('base64url')}`;
    const dbCpu = databaseCpu(o.db);
    const host = await startHost({
      root: ROOT,
      databaseUrl: dbs.scimUrl,
      token,
      secretKey: randomBytes(36).toString('base64url'),
      profileDir,
    });
    o.log(`[bench] demo host pid ${host.pid} at ${host.scimUrl}`);
    let scim: ScenarioRun;
    let peakRssMb: number;
    let sampler: MemorySampler | undefined;
    const windows: ProfileWindow[] = [];
    const nowUs = () => Number(process.hrtime.bigint() / 1000n); // CLOCK_MONOTONIC, as V8 profile timestamps
    let target: ScimHttpTarget | undefined;
    try {
      if (o.preload) {
        const started = performance.now();
        await preloadDemoUsers(dbs.scimUrl, o.users, o.preload, o.seed, o.log);
        o.log(`[bench] preloaded ${o.preload} users in ${Math.round(performance.now() - started)} ms`);
      }
      target = new ScimHttpTarget(host.scimUrl, await tokenPool(dbs.scimUrl, token, TOKEN_POOL), o.concurrency);
      sampler = new MemorySampler(host.pid);
      scim = await runScenario(target, scenario, {
        onPhase: (group) => {
          sampler!.setPhase(group);
          o.log(`[bench] SCIM: ${group}`);
        },
        cpuMs: () => readCpuMs(host.pid),
        ...(dbCpu ? { dbCpuMs: dbCpu } : {}),
        onWindow: (name, edge) => {
          if (edge === 'start') windows.push({ name, startUs: nowUs(), endUs: Infinity });
          else windows[windows.length - 1].endUs = nowUs();
        },
      });
      peakRssMb = sampler.stop();
    } finally {
      sampler?.stop();
      await target?.close();
      await host.stop();
    }

    // The raw-Knex side, with the child gone.
    const raw = await RawKnexTarget.open(dbs.rawUrl);
    let baselineRun: ScenarioRun;
    try {
      if (o.preload) await raw.preload(o.users, o.preload, o.seed);
      baselineRun = await runScenario(raw, scenario, {
        onPhase: (group) => o.log(`[bench] raw Knex: ${group}`),
        cpuMs: () => {
          const { user, system } = process.cpuUsage();
          return (user + system) / 1000;
        },
      });
    } finally {
      await raw.close();
    }

    const phases = scim.rows.map(({ group: _group, cpuMs: _cpuMs, ...row }) => row);
    const perRequest = (rows: ScenarioRun['rows']) =>
      Object.fromEntries(
        rows.map((row) => [row.name, row.requests ? Math.round((row.cpuMs / row.requests) * 100) / 100 : 0]),
      );
    const baseline = baselineRun.rows.map((row) => ({ name: row.name, rps: row.rps }));
    const result: BenchResult = {
      db: o.db,
      users: o.users,
      concurrency: o.concurrency,
      phases,
      baseline,
      ratios: ratiosOf(phases, baseline),
      peakRssMb,
      groups: o.groups,
      startedAt: started.toISOString(),
      revision: revision(),
      durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
      load: load.end(),
      storedUsersAtReads: scim.storedUsersAtReads,
      rssByPhaseMb: sampler.peakRssByPhaseMb,
      phaseGroups: Object.fromEntries(scim.rows.map((row) => [row.name, row.group])),
      cpuMsPerRequest: { scim: perRequest(scim.rows), raw: perRequest(baselineRun.rows) },
      ...(dbCpu
        ? { dbCpuMsPerRequest: perRequest(scim.rows.map((row) => ({ ...row, cpuMs: row.dbCpuMs ?? 0 }))) }
        : {}),
      baselineErrors: baselineRun.rows.reduce((n, row) => n + row.errors, 0),
      errorSamples: [...scim.errorSamples, ...baselineRun.errorSamples.map((s) => `raw ${s}`)],
      childLogLines: host.logLines.slice(0, 20),
    };
    const file = path.join(o.out, `${started.toISOString().replace(/:/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    o.log(`[bench] results: ${file}`);
    if (profileDir)
      o.log(
        `[bench] CPU profile of the child in ${profileDir}\n[bench] hot spots, overall and per phase: ${summarizeProfileDir(profileDir, ROOT, windows)}`,
      );
    return result;
  } finally {
    if (o.keep) o.log(`[bench] kept databases: ${dbs.where}`);
    else await dbs.drop();
  }
}

export function renderReport(result: BenchResult): string {
  const errors = result.phases.reduce((n, p) => n + p.errors, 0) + result.baselineErrors;
  const parts = [markdownTable(result), '', markdownTargets(checkTargets(result))];
  if (errors) parts.push('', `**${errors} failed requests.** First ones:`, ...result.errorSamples.map((s) => `- ${s}`));
  if (result.childLogLines.length)
    parts.push('', 'The demo host logged:', ...result.childLogLines.map((l) => `    ${l}`));
  return parts.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      groups: { type: 'string' },
      concurrency: { type: 'string' },
      db: { type: 'string' },
      keep: { type: 'boolean' },
      out: { type: 'string' },
      profile: { type: 'boolean' },
      help: { type: 'boolean' },
      peers: { type: 'boolean' },
      rounds: { type: 'string' },
      'write-cost': { type: 'boolean' },
      preload: { type: 'string' },
      budget: { type: 'string' },
      before: { type: 'string' },
      'ours-only': { type: 'boolean' },
      'group-commit': { type: 'boolean' },
      skip: { type: 'string', multiple: true },
      tenants: { type: 'string' },
      metrics: { type: 'boolean' },
      lookups: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run bench -- [--users N=10000] [--groups G=100] [--concurrency C=8] [--db sqlite|mysql|postgres] [--keep] [--out DIR] [--profile] [--preload N]\n' +
        '  --preload N: N more users written straight into both databases first (e.g. --users 5000 --preload 95000 reads at 100,000 users)\n' +
        'npm run bench -- --peers [--users N=5000] [--preload N] [--budget S=30] [--rounds R=3] [--concurrency C=8] [--db sqlite|mysql|postgres[,…]] [--out DIR]: side by side with SCIMMY and Better Auth\n' +
        '  --peers --db mysql,postgres,sqlite: ours on each database in the same rounds, the first as "ours", the others beside it\n' +
        '  --peers --before DIR: another checkout of this product (node_modules linked) measured in the same rounds; --ours-only: no peers; --skip NAME: leave a peer out\n' +
        '  --peers --group-commit: ours once more with IDENTITY_SQLITE_GROUP_COMMIT=true ("ours, group commit on"; "ours" then runs with it off)\n' +
        '  --peers --preload N: each server seeds N more users into its own tables first; --budget S: seconds a read phase may take (writes 6×)\n' +
        'npm run bench -- --tenants N [--db sqlite|mysql]: lookups over N organizations (a connector and token each) against one token, statements per lookup counted\n' +
        'npm run bench -- --metrics [--users N=2000] [--lookups L=8000] [--rounds R=5] [--concurrency C=8] [--db sqlite|mysql]: CPU per lookup\n' +
        '  of two demo hosts served at once, without and with options.metrics (prom-client), over R rounds (medians)\n' +
        'npm run bench -- --write-cost [--db sqlite|mysql]: statements per request, rows, index trees and entries (and SQLite WAL pages) per create, counted\n' +
        '  BENCH_MYSQL_URL (default mysql://root:@127.0.0.1:3306) for --db mysql; BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432)\n' +
        '  for --db postgres; BENCH_DB_PREFIX names its databases (default idc_bench)\n',
    );
    return;
  }
  const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  if (values.tenants) {
    const { measureTenants, renderTenants } = await import('./tenants.js');
    const db = (values.db as Db | undefined) ?? 'sqlite';
    process.stdout.write(renderTenants(db, await measureTenants(db, Number(values.tenants))) + '\n');
    return;
  }
  if (values.metrics) {
    const { measureMetricsCost, renderMetricsCost } = await import('./metrics-cost.js');
    const result = await measureMetricsCost({
      users: int(values.users),
      lookups: int(values.lookups),
      rounds: int(values.rounds),
      concurrency: int(values.concurrency),
      db: values.db as Db | undefined,
      log: (line) => process.stderr.write(line + '\n'),
    });
    const out = path.resolve(values.out ?? path.join(ROOT, 'bench', 'results'));
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, `metrics-${result.startedAt.replace(/:/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stderr.write(`[metrics] results: ${file}\n`);
    process.stdout.write(renderMetricsCost(result) + '\n');
    return;
  }
  if (values['write-cost']) {
    const { measureWriteCost, renderWriteCost } = await import('./write-cost.js');
    process.stdout.write(renderWriteCost(await measureWriteCost((values.db as Db | undefined) ?? 'sqlite')) + '\n');
    return;
  }
  if (values.peers) {
    const { renderPeers, runPeers } = await import('./peers.js');
    const result = await runPeers({
      users: int(values.users),
      preload: int(values.preload),
      budgetMs: values.budget === undefined ? undefined : Number(values.budget) * 1000,
      rounds: int(values.rounds),
      concurrency: int(values.concurrency),
      db: values.db?.split(',')[0] as Db | undefined,
      moreDbs: values.db?.split(',').slice(1) as Db[] | undefined,
      beforeRoot: values.before,
      oursOnly: values['ours-only'],
      groupCommit: values['group-commit'],
      skip: values.skip,
      profile: values.profile,
      out: values.out,
      log: (line) => process.stderr.write(line + '\n'),
    });
    const out = path.resolve(values.out ?? path.join(ROOT, 'bench', 'results'));
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, `peers-${result.startedAt.replace(/:/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stderr.write(`[peers] results: ${file}\n`);
    process.stdout.write(renderPeers(result) + '\n');
    return;
  }
  const result = await runBench({
    users: int(values.users),
    groups: int(values.groups),
    concurrency: int(values.concurrency),
    db: values.db as Db | undefined,
    keep: values.keep,
    out: values.out,
    profile: values.profile,
    preload: int(values.preload),
    log: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(renderReport(result) + '\n');
  const failed = result.phases.some((p) => p.errors > 0) || result.baselineErrors > 0;
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 2;
  });
}
