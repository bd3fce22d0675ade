/**
 * `npm run bench -- --metrics [--users N=2000] [--lookups L=8000] [--rounds R=5] [--concurrency C=8] [--db sqlite|mysql]`:
 * what options.metrics costs on the lookup path (Entra's `GET /Users?filter=userName eq "…"`).
 *
 * Two demo hosts run side by side as child processes, each on a fresh database of its own with the same N users
 * preloaded: one without metrics, one with (DEMO_METRICS). A warm-up round, then R rounds in which both hosts
 * serve the same L lookups at once, each with C connections of its own: on a machine others load too, both
 * measure the same minutes (one after the other, a round's load can differ by tens of percent). The figure of record is each host's CPU per lookup: the sum of its threads' run time from
 * /proc/PID/task/TID/schedstat (nanoseconds, where /proc/PID/stat counts 10 ms ticks), median over the rounds.
 * At the end the host with metrics is scraped: its request counter must hold every lookup it served.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startHost, type Host } from './child.js';
import { ScimHttpTarget } from './http-driver.js';
import { median } from './peers.js';
import { preloadDemoUsers } from './preload.js';
import { DB_LABEL, type Db } from './report.js';
import { createDatabases, tokenPool, TOKEN_POOL } from './run.js';
import { userDocument } from './scenario.js';
import { loadAverageWatch, runPool, seededRandom } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface MetricsCostOptions {
  users?: number;
  lookups?: number;
  rounds?: number;
  concurrency?: number;
  db?: Db;
  seed?: number;
  log?: (line: string) => void;
}

/** One host's figures in one round. */
export interface RoundMeasure {
  cpuMsPerRequest: number;
  rps: number;
  errors: number;
}

export interface MetricsCostResult {
  db: Db;
  users: number;
  lookups: number;
  concurrency: number;
  startedAt: string;
  load: { cpus: number; before: number; after: number };
  /** Per round (the warm-up left out): without and with metrics. */
  rounds: Array<{ off: RoundMeasure; on: RoundMeasure }>;
  /** Lookups the host with metrics counted in identity_connector_scim_requests_total, and those it was sent. */
  counted: { scraped: number; sent: number };
}

/** CPU time (all threads, user + system) a process has used, in ms, at nanosecond resolution. */
export function readThreadsCpuMs(pid: number): number {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

interface Side {
  name: 'off' | 'on';
  host: Host;
  target: ScimHttpTarget;
  drop(): Promise<void>;
}

async function startSide(name: Side['name'], o: Required<MetricsCostOptions>, stamp: string): Promise<Side> {
  const mysqlUrl = process.env.BENCH_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306';
  const dbs = await createDatabases(o.db, `${stamp}${name}`, mysqlUrl);
  try {
    const token = `bench_${randomBytes(24).toString('base64url')}`;
    const host = await startHost({
      root: ROOT,
      databaseUrl: dbs.scimUrl,
      token,
      secretKey: randomBytes(36).toString('base64url'),
      metrics: name === 'on',
    });
    await preloadDemoUsers(dbs.scimUrl, 0, o.users, o.seed);
    const target = new ScimHttpTarget(host.scimUrl, await tokenPool(dbs.scimUrl, token, TOKEN_POOL), o.concurrency);
    return {
      name,
      host,
      target,
      drop: async () => {
        await target.close();
        await host.stop();
        await dbs.drop();
      },
    };
  } catch (error) {
    await dbs.drop();
    throw error;
  }
}

/** L lookups of preloaded users against one host: its CPU per lookup, req/s and failures. */
async function lookups(side: Side, userNames: string[], concurrency: number): Promise<RoundMeasure> {
  let errors = 0;
  const cpuBefore = readThreadsCpuMs(side.host.pid);
  const started = performance.now();
  await runPool(userNames, concurrency, async (userName) => {
    if ((await side.target.findByUserName(userName).catch(() => null)) === null) errors += 1;
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = readThreadsCpuMs(side.host.pid) - cpuBefore;
  return {
    cpuMsPerRequest: Math.round((cpuMs / userNames.length) * 1000) / 1000,
    rps: Math.round(userNames.length / seconds),
    errors,
  };
}

export async function measureMetricsCost(options: MetricsCostOptions = {}): Promise<MetricsCostResult> {
  const o: Required<MetricsCostOptions> = {
    users: options.users ?? 2_000,
    lookups: options.lookups ?? 8_000,
    rounds: options.rounds ?? 5,
    concurrency: options.concurrency ?? 8,
    db: options.db ?? 'sqlite',
    seed: options.seed ?? 6,
    log: options.log ?? (() => {}),
  };
  for (const name of ['users', 'lookups', 'rounds', 'concurrency'] as const)
    if (!Number.isInteger(o[name]) || o[name] < 1) throw new Error(`--${name} must be a positive integer`);
  const started = new Date();
  const load = loadAverageWatch();
  const stamp = `${Date.now()}`;
  const sides: Side[] = [];
  try {
    for (const name of ['off', 'on'] as const) sides.push(await startSide(name, o, stamp));
    const random = seededRandom(o.seed);
    const pick = () =>
      Array.from({ length: o.lookups }, () => userDocument(Math.floor(random() * o.users), o.seed).userName);
    const rounds: MetricsCostResult['rounds'] = [];
    let sentToOn = 0;
    for (let round = 0; round <= o.rounds; round++) {
      const userNames = pick();
      const [off, on] = await Promise.all(sides.map((side) => lookups(side, userNames, o.concurrency)));
      sentToOn += userNames.length;
      o.log(
        `[metrics] ${round ? `round ${round}/${o.rounds}` : 'warm-up'}: off ${off.cpuMsPerRequest} ms, on ${on.cpuMsPerRequest} ms CPU per lookup`,
      );
      if (round) rounds.push({ off, on });
    }
    return {
      db: o.db,
      users: o.users,
      lookups: o.lookups,
      concurrency: o.concurrency,
      startedAt: started.toISOString(),
      load: load.end(),
      rounds,
      counted: { scraped: await scrapedLookups(sides[1].host), sent: sentToOn },
    };
  } finally {
    for (const side of sides) await side.drop();
  }
}

/** What the host with metrics counted: its Users GETs answered 200, from its /metrics. */
async function scrapedLookups(host: Host): Promise<number> {
  const text = await (await fetch(new URL('/metrics', host.scimUrl))).text();
  return [...text.matchAll(/^identity_connector_scim_requests_total\{([^}]*)\} (\d+)$/gm)]
    .filter(
      ([, labels]) => /resource="Users"/.test(labels) && /method="GET"/.test(labels) && /status="200"/.test(labels),
    )
    .reduce((sum, [, , value]) => sum + Number(value), 0);
}

export function renderMetricsCost(r: MetricsCostResult): string {
  const med = (side: 'off' | 'on', field: keyof RoundMeasure) => median(r.rounds.map((round) => round[side][field]));
  const [off, on] = [med('off', 'cpuMsPerRequest'), med('on', 'cpuMsPerRequest')];
  const ratios = r.rounds.map((round) => round.on.cpuMsPerRequest / round.off.cpuMsPerRequest);
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
  const lines = [
    `### options.metrics on the lookup path (${DB_LABEL[r.db]}, ${r.users.toLocaleString('en-US')} users, ${r.lookups.toLocaleString('en-US')} lookups per host and round, concurrency ${r.concurrency} each, ${r.rounds.length} rounds after a warm-up, both hosts served at once)`,
    '',
    `Started ${r.startedAt}. Load average ${r.load.before} → ${r.load.after} on ${r.load.cpus} CPUs.`,
    '',
    '| round | without: CPU-ms/lookup | with: CPU-ms/lookup | with ÷ without | without req/s | with req/s | errors |',
    '| --- | --: | --: | --: | --: | --: | --: |',
    ...r.rounds.map(
      (round, k) =>
        `| ${k + 1} | ${round.off.cpuMsPerRequest.toFixed(3)} | ${round.on.cpuMsPerRequest.toFixed(3)} | ${pct(ratios[k] - 1)} | ${round.off.rps} | ${round.on.rps} | ${round.off.errors + round.on.errors} |`,
    ),
    `| **median** | **${off.toFixed(3)}** | **${on.toFixed(3)}** | **${pct(on / off - 1)}** (median of the rounds' ratios ${pct(median(ratios) - 1)}) | ${med('off', 'rps')} | ${med('on', 'rps')} | |`,
    '',
    `The host with metrics counted ${r.counted.scraped.toLocaleString('en-US')} of the ${r.counted.sent.toLocaleString('en-US')} lookups it served in identity_connector_scim_requests_total{resource="Users",method="GET",status="200"}. CPU is each host's own (all threads, /proc schedstat); the client runs in this process.`,
  ];
  return lines.join('\n');
}
