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
import { runPool } from './stats.js';
import { countStatements } from '../test/support/statements.js';

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

const CONCURRENCY = 8;
/** One token's requests stay under its rate limit (1,200 a minute). */
const ONE_TOKEN_REQUESTS = 1_000;

export async function measureTenants(
  db: Db,
  tenants: number,
  mysqlUrl = process.env.BENCH_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306',
): Promise<TenantsRow[]> {
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
    return rows;
  } finally {
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
    await demo.close();
    await dbs.drop();
  }
}

export function renderTenants(db: Db, rows: TenantsRow[]): string {
  return [
    `### Lookups over many tenants on ${db === 'sqlite' ? 'SQLite' : 'MariaDB'} (one connector and token each; counted per lookup)`,
    '',
    '| active tokens | lookups | req/s (in-process) | s between uses of a token | statements | token reads | connector reads | rate-limit writes | other |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows.map(
      (r) =>
        `| ${r.tokens} | ${r.requests} | ${r.rps} | ${r.reuseSeconds} | ${r.statementsPerLookup} | ${r.split.tokens} | ${r.split.connectors} | ${r.split.rateCounters} | ${r.split.other} |`,
    ),
  ].join('\n');
}
