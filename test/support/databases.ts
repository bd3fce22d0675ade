import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { connectKnex } from '../../lib/store/connect.js';

/**
 * The databases every store-touching suite runs on: SQLite always, MariaDB when TEST_MYSQL_URL
 * is set, PostgreSQL when TEST_PG_URL is set. Suites share the server databases and keep apart
 * by table prefix (uniquePrefix).
 */
export interface TestDatabase {
  name: 'sqlite' | 'mariadb' | 'postgres';
  url: string;
}

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [{ name: 'sqlite', url: 'sqlite::memory:' }];
  if (process.env.TEST_MYSQL_URL) list.push({ name: 'mariadb', url: process.env.TEST_MYSQL_URL });
  if (process.env.TEST_PG_URL) list.push({ name: 'postgres', url: process.env.TEST_PG_URL });
  return list;
}

/** Databases two instances (or processes) can share: a SQLite file instead of :memory:, then the servers. */
export function sharedTestDatabases(label: string): TestDatabase[] {
  return [{ name: 'sqlite', url: tempSqliteUrl(label) }, ...testDatabases().filter((db) => db.name !== 'sqlite')];
}

let counter = 0;
/** A table prefix no other suite (or earlier crashed run) uses. */
export function uniquePrefix(): string {
  counter += 1;
  return `t${process.pid.toString(36)}${counter.toString(36)}_`;
}

/** Knex's SQLite pool holds one connection, so an in-memory database lives as long as the instance. */
export function testKnex(db: TestDatabase): Knex {
  return connectKnex(db.url);
}

/** Declares `describe(title [db])` once per test database. */
export function describeEachDatabase(title: string, body: (db: TestDatabase) => void): void {
  for (const db of testDatabases()) describe(`${title} [${db.name}]`, () => body(db));
}

/** A SQLite file in a fresh temporary folder (for tests that need two connections to one database), removed when the test process exits. */
export function tempSqliteUrl(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `idc-${label}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return `sqlite:${path.join(dir, 'identity.sqlite')}`;
}
