/**
 * `npx tsx bench/rate-limit-store.ts [--seconds 5] [--rounds 3] [--concurrency 8] [--mysql URL] [--before DIR] [--stores a,b]`
 *
 * What the shared rate-limit store costs on the SCIM lookup path (GET /Users?filter=userName eq
 * …): one host process per configuration, driven over keep-alive HTTP from this one, req/s and
 * median latency, and the counter-store statements per request. Configurations: `memory`
 * (process-local, as before the shared store), `database` (the default: batched),
 * `database, a write per request` (the same table through the express-rate-limit store shape,
 * which is never batched: what the hot path would pay without batching), `redis`
 * (rate-limit-redis). `--before DIR`: also a checkout of the previous commit, whose limiter was a
 * Map in the process. The limit is set high so no request is refused: this measures the far-from-
 * the-limit path that nearly all traffic takes.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import fs from 'node:fs';
import { Pool } from 'undici';

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '..');
const USERS = 50;

async function serve(root: string, db: string, store: string): Promise<void> {
  const express = (await import('express')).default;
  const { createIdentityConnector } = await import(pathToFileURL(path.join(root, 'lib/index.ts')).href);
  const { connectKnex } = await import(pathToFileURL(path.join(root, 'lib/store/connect.ts')).href);
  const knex = connectKnex(db);
  let statements = 0;
  let counters:
    | {
        increment(k: string, h: number, w: number, now: number): Promise<{ count: number; resetAt: number }>;
        decrement(k: string, h: number, w: number, now: number): Promise<void>;
      }
    | undefined;
  const options: Record<string, unknown> = {
    knex,
    baseUrl: 'http://127.0.0.1',
    mountPath: '/identity',
    secretKey: 'bench-secret-key-0123456789abcdef0123456789',
    tablePrefix: `rl${Date.now().toString(36)}_`,
    rateLimitPerMinute: 10_000_000,
  };
  if (store === 'memory' || store === 'database') options.rateLimitStore = store;
  if (store === 'database-per-request') {
    options.rateLimitStore = {
      increment: (key: string) =>
        counters!
          .increment(key, 1, 60_000, Date.now())
          .then((w) => ({ totalHits: w.count, resetTime: new Date(w.resetAt) })),
      decrement: (key: string) => counters!.decrement(key, 1, 60_000, Date.now()),
    };
  }
  if (store === 'redis') {
    const { createClient } = await import('redis');
    const { RedisStore } = await import('rate-limit-redis');
    const client = createClient({ url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' });
    await client.connect();
    options.rateLimitStore = new RedisStore({
      sendCommand: (...args: string[]) => {
        statements += 1;
        return client.sendCommand(args);
      },
      prefix: `bench:${randomUUID()}:`,
    });
  }
  const identity = await createIdentityConnector(options);
  await identity.migrate();
  if (identity.store.counters) {
    counters = identity.store.counters;
    const store = counters!;
    const increment = store.increment.bind(store);
    const decrement = store.decrement.bind(store);
    store.increment = (...a) => {
      statements += 1;
      return increment(...a);
    };
    store.decrement = (...a) => {
      statements += 1;
      return decrement(...a);
    };
  }
  const connector = await identity.store.connectors.create({ organizationId: 'org-1', name: 'Bench' });
  const { token } = await identity.store.tokens.create(connector.id);
  const app = express();
  app.use('/identity', identity.router);
  app.get('/stats', (_req, res) => {
    res.json({ statements });
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  {
    const port = (server.address() as { port: number }).port;
    for (let i = 0; i < USERS; i += 1) {
      const res = await fetch(`http://127.0.0.1:${port}/identity/scim/v2/Users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `user${i}@contoso.com`,
          active: true,
        }),
      });
      if (res.status !== 201) throw new Error(`seed: ${res.status} ${await res.text()}`);
    }
    console.log(`ready ${port} ${token}`);
  }
  // The bench's tables go with it (MariaDB: the database is shared with other runs).
  process.once('SIGTERM', () => {
    server.close();
    void identity
      .close()
      .then(() => identity.store.rollbackAll())
      .then(() => knex.destroy())
      .then(() => process.exit(0));
  });
}

/** The child's user + system CPU time (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function drive(root: string, db: string, store: string, seconds: number, concurrency: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', HERE, '--serve', '--root', root, '--db', db, '--store', store],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [port, token] = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /ready (\d+) (\S+)/.exec(out);
      if (m) resolve([m[1], m[2]]);
    });
    child.once('exit', (code) => reject(new Error(`${store} exited ${code}: ${out}`)));
  });
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  const get = async (i: number) => {
    const t0 = process.hrtime.bigint();
    const res = await pool.request({
      method: 'GET',
      path: `/identity/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${i % USERS}@contoso.com"`)}`,
      headers: { authorization: `Bearer ${token}` },
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${store}: ${res.statusCode}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < 200; i += 1) await get(i); // warm-up
  const stats = async () =>
    ((await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { statements: number }).statements;
  const before = await stats();
  const cpuBefore = cpuMs(child.pid!);
  const latencies: number[] = [];
  const end = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) latencies.push(await get(n++));
    }),
  );
  const statements = (await stats()) - before;
  const cpu = cpuMs(child.pid!) - cpuBefore;
  await pool.close();
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  latencies.sort((a, b) => a - b);
  return {
    store,
    requests: latencies.length,
    rps: Math.round(latencies.length / seconds),
    p50Ms: +latencies[Math.floor(latencies.length / 2)].toFixed(2),
    p99Ms: +latencies[Math.floor(latencies.length * 0.99)].toFixed(2),
    counterStatementsPerRequest: +(statements / latencies.length).toFixed(4),
    cpuMsPerRequest: +(cpu / latencies.length).toFixed(3),
  };
}

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    root: { type: 'string' },
    db: { type: 'string' },
    store: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    mysql: { type: 'string' },
    before: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    stores: { type: 'string' },
  },
});
if (values.serve) {
  await serve(values.root!, values.db!, values.store!);
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-rl-bench-'));
  const dbs: Array<[string, () => string]> = [['sqlite', () => `sqlite:${path.join(dir, `${randomUUID()}.sqlite`)}`]];
  if (values.mysql) dbs.push(['mariadb', () => values.mysql!]);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, url] of dbs) {
    const configs: Array<[string, string, string]> = [
      ...(values.before ? [['before (Map in the process)', values.before, 'before'] as [string, string, string]] : []),
      ...(values.stores ?? 'memory,database,database-per-request,redis')
        .split(',')
        .map((store) => [store, ROOT, store] as [string, string, string]),
    ];
    const runs = new Map<string, Array<Awaited<ReturnType<typeof drive>>>>();
    // Rounds interleave the configurations, so that the machine's other load spreads over all of them.
    for (let round = 0; round < Number(values.rounds); round += 1) {
      for (const [label, root, store] of configs)
        runs.set(label, [
          ...(runs.get(label) ?? []),
          await drive(root, url(), store, Number(values.seconds), Number(values.concurrency)),
        ]);
    }
    console.log(`${name}: median of ${values.rounds} rounds of ${values.seconds} s, ${values.concurrency} connections`);
    console.table(
      [...runs].map(([label, r]) => ({
        store: label,
        rps: median(r.map((x) => x.rps)),
        p50Ms: median(r.map((x) => x.p50Ms)),
        p99Ms: median(r.map((x) => x.p99Ms)),
        counterStatementsPerRequest: median(r.map((x) => x.counterStatementsPerRequest)),
        cpuMsPerRequest: median(r.map((x) => x.cpuMsPerRequest)),
        rpsEachRound: r.map((x) => x.rps).join(' '),
      })),
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
