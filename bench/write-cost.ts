/**
 * `npm run bench -- --write-cost [--db sqlite|mysql]`: what one request of each of Entra's kinds
 * costs the database, counted rather than timed (steady on a loaded machine):
 * - statements per request (BEGIN and COMMIT included), counted on the driver connections;
 * - rows written per create in each table, and the index trees and index entries they make
 *   (SQLite: the table's b-tree plus each index; InnoDB: the clustered index plus each secondary);
 * - on SQLite, WAL frames (pages) appended per create: each written tree costs at least one.
 * The demo host runs in this process on a fresh database holding 5,000 preloaded users; requests go over a real socket.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { Pool } from 'undici';
import { createDemoApp } from '../examples/host-app.js';
import { tableNames, DEFAULT_TABLE_PREFIX } from '../lib/store/tables.js';
import { createDatabases } from './run.js';
import type { Db } from './report.js';
import { deactivatePatch, updatePatch, userDocument } from './scenario.js';
import { BACKGROUND_STATEMENT, countStatements } from '../test/support/statements.js';
import { runPool } from './stats.js';
import { preloadUsers } from './preload.js';

/** Users stored before the measured requests (bench/preload.ts). */
const PRELOADED = 5_000;

export interface WriteCost {
  db: Db;
  statementsPerRequest: Record<string, number>;
  /** Per create: rows added to each table, with that table's trees (table + indexes). */
  rowsPerCreate: Record<string, { rows: number; trees: number }>;
  treesPerCreate: number;
  indexEntriesPerCreate: number;
  walPagesPerCreate?: number;
  /** WAL frames a DELETE appends (SQLite), its guard's deprovisioning row and audit row included. */
  walPagesPerDelete?: number;
  /**
   * The same at concurrency 8 (SQLite): creates and deletes sent 8 at a time, where group commit
   * (IDENTITY_SQLITE_GROUP_COMMIT=true in the environment) lets them share commits; with statements per request (BEGIN/COMMIT, SAVEPOINTs).
   * The deletes run with the connector's guard off (deleting most of its users at once is what it stops).
   */
  concurrent?: { createWalPages: number; deleteWalPages: number; createStatements: number; deleteStatements: number };
  /**
   * SQLite: the WAL pages a create and a DELETE append (concurrency 1), per request, by the tree
   * each page belongs to (a table or an index, from SQLite's dbstat; "freelist" for pages the
   * write freed): which tables and indexes a write costs, page by page.
   */
  walPagesByTree?: Record<string, { create: number; delete: number }>;
  statementSample: Record<string, string[]>;
}

async function treesPerTable(knex: Knex, db: Db, tables: string[]): Promise<Record<string, number>> {
  const trees: Record<string, number> = {};
  for (const table of tables) {
    if (db === 'sqlite') {
      const rows = await knex('sqlite_master').where({ type: 'index', tbl_name: table }).count({ n: '*' });
      trees[table] = 1 + Number(rows[0].n);
    } else {
      const [rows] = await knex.raw(
        'SELECT COUNT(DISTINCT index_name) AS n FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?',
        [table],
      );
      trees[table] = Number(rows[0].n);
    }
  }
  return trees;
}

export async function measureWriteCost(
  db: Db,
  mysqlUrl = process.env.BENCH_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306',
): Promise<WriteCost> {
  const dbs = await createDatabases(db, `wc${Date.now()}${randomBytes(2).toString('hex')}`, mysqlUrl);
  const token = `bench_${randomBytes(24).toString('base64url')}`;
  const demo = await createDemoApp({
    ...process.env,
    DATABASE_URL: dbs.scimUrl,
    SCIM_BOOTSTRAP_TOKEN: token,
    IDENTITY_SECRET_KEY: randomBytes(36).toString('base64url'),
    LOG_LEVEL: 'warn',
    IDENTITY_TABLE_PREFIX: '',
  });
  const server = demo.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pool = new Pool(origin, { connections: 1 });
  const knex = demo.identity.store.knex;
  const counter = countStatements(knex);
  const t = tableNames(DEFAULT_TABLE_PREFIX);
  const call = scimCaller(pool, token);
  const walFile = db === 'sqlite' ? `${dbs.scimUrl.slice('sqlite:'.length)}-wal` : undefined;
  const walSize = () => (walFile && fs.existsSync(walFile) ? fs.statSync(walFile).size : 0);
  // 2N deprovisionings stay under the demo connector's guard (50 users at least).
  const N = 20;
  /** 80 creates, then their 80 deletes, 8 at a time (8 connections): WAL pages and statements per request. */
  const concurrentCost = async () => {
    const wide = new Pool(origin, { connections: 8 });
    const send = scimCaller(wide, token);
    const M = 80;
    const order = Array.from({ length: M }, (_, i) => 1000 + i);
    const made: string[] = [];
    try {
      // An empty WAL before each measured phase: a checkpoint in the middle restarts the file.
      await knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
      counter.start();
      const walCreate = walSize();
      await runPool(order, 8, async (i) => {
        made.push((await send('POST', '/Users', userDocument(i, 6)))!.id);
      });
      const createWal = walSize() - walCreate;
      const createStatements = counter.stop().filter((sql) => !BACKGROUND_STATEMENT.test(sql)).length;
      // Deleting most of the connector's users at once is what the guard stops: off for these.
      await demo.identity.store.connectors.updateSettings(demo.connector.id, { deprovisionGuard: false });
      await knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
      const walDelete = walSize();
      counter.start();
      await runPool(made, 8, async (id) => {
        await send('DELETE', `/Users/${id}`);
      });
      const deleteWal = walSize() - walDelete;
      const deleteStatements = counter.stop().filter((sql) => !BACKGROUND_STATEMENT.test(sql)).length;
      const per = (n: number) => Math.round((n / M) * 100) / 100;
      return {
        createWalPages: walPages(createWal, M),
        deleteWalPages: walPages(deleteWal, M),
        createStatements: per(createStatements),
        deleteStatements: per(deleteStatements),
      };
    } finally {
      await wide.close();
    }
  };
  try {
    // Users already stored, as Entra's first cycle leaves them: a write then lands on b-trees of a
    // realistic depth and spread (in an empty database every write shares the same few pages).
    await preloadUsers(knex, t, demo.connector.id, 10_000, PRELOADED, 6);
    // Warm up (statement caches, token cache), then measure users 100…100+N.
    for (let i = 0; i < 5; i++) await call('POST', '/Users', userDocument(i, 6));
    const userTables = [t.users, t.userValues, t.userAddresses, t.userExtensions, t.groupMembers, t.auditEvents];
    const count = async () =>
      Object.fromEntries(
        await Promise.all(
          userTables.map(async (table) => [table, Number((await knex(table).count({ n: '*' }))[0].n)] as const),
        ),
      );
    const trees = await treesPerTable(knex, db, userTables);
    const samples: Record<string, string[]> = {};
    const perRequest: Record<string, number> = {};
    const measure = async (name: string, fn: (i: number) => Promise<unknown>) => {
      let statements = 0;
      for (let i = 0; i < N; i++) {
        counter.start();
        await fn(100 + i);
        const log = counter.stop();
        statements += log.length;
        samples[name] ??= log.map((sql) => sql.slice(0, 90));
      }
      perRequest[name] = Math.round((statements / N) * 100) / 100;
    };
    const ids: string[] = [];
    await measure('lookup before create (GET userName eq)', (i) =>
      call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userDocument(i, 6).userName}"`)}`),
    );
    const before = await count();
    // An empty WAL before each attributed phase: its frames are then exactly that phase's.
    if (walFile) await knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
    const walBefore = walSize();
    await measure('create (POST /Users)', async (i) => {
      ids[i] = (await call('POST', '/Users', userDocument(i, 6)))!.id;
    });
    const walAfter = walSize();
    const createTrees = walFile ? await walFramesByTree(knex, walFile, N) : undefined;
    const after = await count();
    await measure('PATCH path-less Replace', (i) => call('PATCH', `/Users/${ids[i]}`, updatePatch(i, 6).patch));
    await measure('PATCH active "False"', (i) => call('PATCH', `/Users/${ids[i]}`, deactivatePatch(i, 6).patch));
    if (walFile) await knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
    const walBeforeDelete = walSize();
    await measure('DELETE', (i) => call('DELETE', `/Users/${ids[i]}`));
    const walAfterDelete = walSize();
    const deleteTrees = walFile ? await walFramesByTree(knex, walFile, N) : undefined;
    const concurrent = walFile ? await concurrentCost() : undefined;
    const rowsPerCreate: WriteCost['rowsPerCreate'] = {};
    let treesPerCreate = 0;
    let entries = 0;
    for (const table of userTables) {
      const rows = (after[table] - before[table]) / N;
      rowsPerCreate[table] = { rows, trees: trees[table] };
      if (rows > 0) treesPerCreate += trees[table];
      entries += rows * trees[table];
    }
    return {
      db,
      statementsPerRequest: perRequest,
      rowsPerCreate,
      treesPerCreate,
      indexEntriesPerCreate: Math.round(entries * 100) / 100,
      ...(walFile && walAfter >= walBefore ? { walPagesPerCreate: walPages(walAfter - walBefore, N) } : {}),
      ...(walFile && walAfterDelete >= walBeforeDelete
        ? { walPagesPerDelete: walPages(walAfterDelete - walBeforeDelete, N) }
        : {}),
      ...(concurrent ? { concurrent } : {}),
      ...(createTrees && deleteTrees ? { walPagesByTree: byTree(createTrees, deleteTrees) } : {}),
      statementSample: samples,
    };
  } finally {
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
    await demo.close();
    await dbs.drop();
  }
}

/** Sends a SCIM request to the demo host over `pool`; answers the parsed body, throws on any status from 300. */
function scimCaller(pool: Pool, token: string) {
  return async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => {
    const res = await pool.request({
      method,
      path: `/identity/scim/v2${path}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as { id: string } & Record<string, unknown>) : undefined;
  };
}

/**
 * The frames of the WAL file (written since its last truncation) by the tree their page belongs
 * to, per request over `n` requests. dbstat maps each page of the database as it is now (the
 * WAL's pages included) to its table or index; a page in no tree was freed (the freelist).
 */
async function walFramesByTree(knex: Knex, walFile: string, n: number): Promise<Record<string, number>> {
  const rows = await knex.raw<Array<{ name: string; pageno: number }>>('SELECT name, pageno FROM dbstat');
  const treeOf = new Map(rows.map((r) => [r.pageno, r.name]));
  const wal = fs.readFileSync(walFile);
  const pageSize = wal.readUInt32BE(8); // the WAL header (32 bytes) holds the page size at offset 8
  const frames: Record<string, number> = {};
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    const tree = treeOf.get(wal.readUInt32BE(at)) ?? 'freelist';
    frames[tree] = (frames[tree] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(frames).map(([tree, count]) => [tree, Math.round((count / n) * 100) / 100]));
}

/** One row per tree, creates' and deletes' pages side by side, the costliest first. */
function byTree(create: Record<string, number>, del: Record<string, number>): WriteCost['walPagesByTree'] {
  const trees = [...new Set([...Object.keys(create), ...Object.keys(del)])];
  const rows = trees.map((tree) => [tree, { create: create[tree] ?? 0, delete: del[tree] ?? 0 }] as const);
  return Object.fromEntries(rows.sort((a, b) => b[1].create + b[1].delete - (a[1].create + a[1].delete)));
}

/** WAL frames (a page and its 24-byte header) per request, from the WAL file's growth over `n` requests. */
const walPages = (bytes: number, n: number) => Math.round((bytes / (4096 + 24) / n) * 10) / 10;

export function renderWriteCost(c: WriteCost): string {
  const lines = [
    `### Write cost on ${c.db === 'sqlite' ? 'SQLite' : 'MariaDB'} (counted, per request)`,
    '',
    '| request | statements |',
    '| --- | --: |',
    ...Object.entries(c.statementsPerRequest).map(([name, n]) => `| ${name} | ${n} |`),
    '',
    ...(c.concurrent
      ? [
          `At concurrency 8: a create appends ${c.concurrent.createWalPages} WAL pages in ${c.concurrent.createStatements} statements, a DELETE (guard off) ${c.concurrent.deleteWalPages} in ${c.concurrent.deleteStatements}.`,
          '',
        ]
      : []),
    `A create writes ${c.treesPerCreate} trees and ${c.indexEntriesPerCreate} entries (rows × trees)${c.walPagesPerCreate !== undefined ? `, and appends ${c.walPagesPerCreate} WAL pages` : ''}${c.walPagesPerDelete !== undefined ? `; a DELETE appends ${c.walPagesPerDelete}` : ''}:`,
    '',
    '| table | rows per create | trees (table + indexes) |',
    '| --- | --: | --: |',
    ...Object.entries(c.rowsPerCreate).map(([table, r]) => `| ${table} | ${r.rows} | ${r.trees} |`),
    ...(c.walPagesByTree
      ? [
          '',
          'WAL pages per request by tree (concurrency 1; "freelist": pages the write freed):',
          '',
          '| tree | create | DELETE |',
          '| --- | --: | --: |',
          ...Object.entries(c.walPagesByTree).map(([tree, p]) => `| ${tree} | ${p.create} | ${p.delete} |`),
        ]
      : []),
    '',
    'Statements of one request of each kind:',
    ...Object.entries(c.statementSample).flatMap(([name, log]) => [`- ${name}:`, ...log.map((s) => `  - \`${s}\``)]),
  ];
  return lines.join('\n');
}
