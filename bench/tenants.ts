/**
 * `npm run bench -- --tenants N [--db sqlite|mysql]`: what Entra's lookup before create costs when
 * the platform has N organizations, each with its own connector and token, and the traffic is
 * spread over all of them (each token used less often than the verified-token cache's check
 * period), against the same traffic on one token. Counted on the driver connections, as
 * write-cost.ts does, so the figures hold on a loaded machine: statements per lookup, split into
 * token and connector reads, rate-limit counter writes and the rest; req/s is shown too (the
 * demo host and the client share this process).
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { createDemoApp } from '../examples/host-app.js';
import { tableNames, DEFAULT_TABLE_PREFIX } from '../lib/store/tables.js';
import { createDatabases } from './run.js';
import type { Db } from './report.js';
import { percentile, runPool } from './stats.js';
import { BACKGROUND_STATEMENT, countStatements } from '../test/support/statements.js';

export interface TenantsRow {
  tokens: number;
  requests: number;
  rps: number;
  /** Seconds between two uses of one token (the verified-token cache keeps an entry a minute). */
  reuseSeconds: number;
  statementsPerLookup: number;
  /** Per lookup, by what the statement touched. */
  split: { tokens: number; connectors: number; rateCounters: number; other: number };
}

/** The admin connectors list walked page by page by the demo's platform admin, alone and beside SCIM lookups. */
export interface AdminListRow {
  connectors: number;
  pages: number;
  /** Median and slowest page, ms, walked alone; bytes of JSON over all pages. */
  pageMsMedian: number;
  pageMsMax: number;
  bytes: number;
  statementsPerPage: number;
  /** SCIM lookups over all tokens at concurrency 8: alone, and while an admin walks the list again and again. */
  lookups: { alone: { p50: number; p99: number }; withList: { p50: number; p99: number; pagesMeanwhile: number } };
}

export interface TenantsResult {
  rows: TenantsRow[];
  adminList: AdminListRow;
}

const CONCURRENCY = 8;
/** One token's requests stay under its rate limit (1,200 a minute). */
const ONE_TOKEN_REQUESTS = 1_000;

export async function measureTenants(
  db: Db,
  tenants: number,
  mysqlUrl = process.env.BENCH_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306',
): Promise<TenantsResult> {
  if (!Number.isInteger(tenants) || tenants < 1)
    throw new Error(`--tenants must be a positive integer (got ${tenants})`);
  const dbs = await createDatabases(db, `tn${Date.now()}${randomBytes(2).toString('hex')}`, mysqlUrl);
  const bootstrap = `bench_${randomBytes(24).toString('base64url')}`;
  const demo = await createDemoApp({
    ...process.env,
    DATABASE_URL: dbs.scimUrl,
    SCIM_BOOTSTRAP_TOKEN: bootstrap,
    IDENTITY_SECRET_KEY: randomBytes(36).toString('base64url'),
    LOG_LEVEL: 'warn',
    IDENTITY_TABLE_PREFIX: '',
  });
  const server = demo.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: CONCURRENCY });
  const knex = demo.identity.store.knex;
  const t = tableNames(DEFAULT_TABLE_PREFIX);
  try {
    // One connector and token per organization, through the store as an admin's API would.
    const tokens = [bootstrap];
    for (let k = 1; k < tenants; k++) {
      const connector = await demo.identity.store.connectors.create({
        organizationId: `tenant-${k}`,
        name: 'Entra ID',
      });
      tokens.push((await demo.identity.store.tokens.create(connector.id)).token);
    }
    const lookup = async (token: string, n: number) => {
      const filter = encodeURIComponent(`userName eq "nobody-${n}@example.com"`);
      const res = await pool.request({
        method: 'GET',
        path: `/identity/scim/v2/Users?filter=${filter}`,
        headers: { authorization: `Bearer ${token}` },
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`lookup → ${res.statusCode}`);
    };
    const counter = countStatements(knex);
    const rows: TenantsRow[] = [];
    for (const active of [...new Set([1, tenants])]) {
      const used = tokens.slice(0, active);
      // Warm-up: every token twice (the second pass re-reads what expired during a slow first one),
      // then the measured passes.
      for (let pass = 0; pass < 2; pass++) await runPool(used, CONCURRENCY, (token) => lookup(token, 0));
      const requests = active === 1 ? ONE_TOKEN_REQUESTS : 2 * active;
      const order = Array.from({ length: requests }, (_, n) => n);
      counter.start();
      const started = performance.now();
      await runPool(order, CONCURRENCY, (n) => lookup(used[n % active], n));
      const seconds = (performance.now() - started) / 1000;
      const log = counter.stop();
      const share = (match: (sql: string) => boolean) =>
        Math.round((log.filter(match).length / requests) * 1000) / 1000;
      const touches = (table: string) => (sql: string) => sql.includes(table);
      rows.push({
        tokens: active,
        requests,
        rps: Math.round(requests / seconds),
        reuseSeconds: Math.round((seconds / requests) * active * 100) / 100,
        statementsPerLookup: share(() => true),
        split: {
          tokens: share(touches(t.scimTokens)),
          connectors: share((sql) => touches(t.connectors)(sql) && !touches(t.scimTokens)(sql)),
          rateCounters: share(touches(t.rateCounters)),
          other: share((sql) => ![t.scimTokens, t.connectors, t.rateCounters].some((table) => sql.includes(table))),
        },
      });
    }
    return { rows, adminList: await measureAdminList(pool, demo.adminPassword, tokens, lookup, counter) };
  } finally {
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
    await demo.close();
    await dbs.drop();
  }
}

/** Lookups spread over every token: each one's latency, ms. */
async function lookupLatencies(
  tokens: string[],
  lookup: (token: string, n: number) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  const order = Array.from({ length: Math.max(2_000, tokens.length) }, (_, n) => n);
  await runPool(order, CONCURRENCY, async (n) => {
    const started = performance.now();
    await lookup(tokens[n % tokens.length], n);
    latencies.push(performance.now() - started);
  });
  return latencies.sort((a, b) => a - b);
}

/**
 * The admin connectors list with one connector per organization: the demo's built-in admin
 * (every organization) signs in with its password and walks `GET /identity/admin/api/connectors`
 * page by page (a checkout without paging answers everything as one page). Then SCIM lookups over
 * every token, alone and while the admin walks the list in a loop: the list must not move their p99.
 */
async function measureAdminList(
  pool: Pool,
  adminPassword: string | null,
  tokens: string[],
  lookup: (token: string, n: number) => Promise<void>,
  counter: ReturnType<typeof countStatements>,
): Promise<AdminListRow> {
  if (!adminPassword) throw new Error('the demo created no admin password (not a fresh database?)');
  const signIn = await pool.request({
    method: 'POST',
    path: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: 'admin@demo.local', password: adminPassword, returnTo: '/' }).toString(),
  });
  await signIn.body.text();
  const setCookie = signIn.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? ''])
    .map((c) => c.split(';')[0])
    .filter(Boolean)
    .join('; ');
  if (!cookie) throw new Error(`admin sign-in → ${signIn.statusCode} without a session cookie`);
  /** One walk over every page: each page's ms and statements, and the JSON's bytes. */
  const walk = async (count: boolean) => {
    const ms: number[] = [];
    const statements: number[] = [];
    let bytes = 0;
    let ids = 0;
    let cursor: string | null = null;
    do {
      if (count) counter.start();
      const started = performance.now();
      const res = await pool.request({
        method: 'GET',
        path: `/identity/admin/api/connectors${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
        headers: { cookie, accept: 'application/json' },
      });
      const text = await res.body.text();
      ms.push(performance.now() - started);
      if (count) statements.push(counter.stop().filter((sql) => !BACKGROUND_STATEMENT.test(sql)).length);
      if (res.statusCode !== 200) throw new Error(`admin connectors list → ${res.statusCode} ${text.slice(0, 200)}`);
      const page = JSON.parse(text) as { connectors: unknown[]; nextCursor?: string | null };
      bytes += text.length;
      ids += page.connectors.length;
      cursor = page.nextCursor ?? null;
    } while (cursor);
    if (ids !== tokens.length) throw new Error(`the admin list walked ${ids} connectors of ${tokens.length}`);
    return { ms, statements, bytes };
  };
  await walk(false);
  const first = await walk(true);
  const sorted = [...first.ms].sort((a, b) => a - b);
  const alone = await lookupLatencies(tokens, lookup);
  let listing = true;
  let pagesMeanwhile = 0;
  const lister = (async () => {
    while (listing) pagesMeanwhile += (await walk(false)).ms.length;
  })();
  const withList = await lookupLatencies(tokens, lookup);
  listing = false;
  await lister;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    connectors: tokens.length,
    pages: first.ms.length,
    pageMsMedian: round(percentile(sorted, 50)),
    pageMsMax: round(sorted[sorted.length - 1]),
    bytes: first.bytes,
    statementsPerPage: round(first.statements.reduce((a, b) => a + b, 0) / first.statements.length),
    lookups: {
      alone: { p50: round(percentile(alone, 50)), p99: round(percentile(alone, 99)) },
      withList: { p50: round(percentile(withList, 50)), p99: round(percentile(withList, 99)), pagesMeanwhile },
    },
  };
}

export function renderTenants(db: Db, { rows, adminList: a }: TenantsResult): string {
  return [
    `### Lookups over many tenants on ${db === 'sqlite' ? 'SQLite' : 'MariaDB'} (one connector and token each; counted per lookup)`,
    '',
    '| active tokens | lookups | req/s (in-process) | s between uses of a token | statements | token reads | connector reads | rate-limit writes | other |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows.map(
      (r) =>
        `| ${r.tokens} | ${r.requests} | ${r.rps} | ${r.reuseSeconds} | ${r.statementsPerLookup} | ${r.split.tokens} | ${r.split.connectors} | ${r.split.rateCounters} | ${r.split.other} |`,
    ),
    '',
    `### The admin connectors list with ${a.connectors} connectors (the built-in admin, every organization)`,
    '',
    '| pages | ms a page (median) | slowest page ms | JSON bytes (all pages) | statements a page | lookups p50 / p99 ms alone | lookups p50 / p99 ms while the list is walked | pages walked meanwhile |',
    '| --: | --: | --: | --: | --: | --: | --: | --: |',
    `| ${a.pages} | ${a.pageMsMedian} | ${a.pageMsMax} | ${a.bytes} | ${a.statementsPerPage} | ${a.lookups.alone.p50} / ${a.lookups.alone.p99} | ${a.lookups.withList.p50} / ${a.lookups.withList.p99} | ${a.lookups.withList.pagesMeanwhile} |`,
  ].join('\n');
}
