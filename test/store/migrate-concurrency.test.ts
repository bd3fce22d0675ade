import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { connectKnex } from '../../lib/store/connect.js';
import { dialectOf } from '../../lib/store/context.js';
import { isMigrated, migrateLatest, migrateRollbackAll, migrationNames } from '../../lib/store/migrate.js';
import { tableNames } from '../../lib/store/tables.js';
import { tempSqliteUrl, uniquePrefix } from '../support/databases.js';

const CHILD = fileURLToPath(new URL('./migrating-child.ts', import.meta.url));

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/** Runs the migrating child; with stopAt, SIGKILLs it once it reports having stopped there. */
function runChild(url: string, prefix: string, stopAt?: string): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, prefix, ...(stopAt ? [stopAt] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (stdout.includes('stopped\n')) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, lines: stdout.trim().split('\n'), stderr })),
  );
}

/** Every table of a prefix with its columns and index names, the prefix taken out, so two prefixes compare. */
async function schemaOf(knex: Knex, prefix: string): Promise<Record<string, { columns: string[]; indexes: string[] }>> {
  const catalog = CATALOGS[dialectOf(knex)];
  const tables = await catalog.tables(knex, prefix);
  const schema: Record<string, { columns: string[]; indexes: string[] }> = {};
  for (const table of tables.filter((name) => name.startsWith(prefix)).sort()) {
    const columns = await catalog.columns(knex, table);
    const indexes = await catalog.indexes(knex, table);
    schema[table.slice(prefix.length)] = {
      columns: [...columns].sort(),
      indexes: indexes.map((i: string) => i.replace(prefix, '')).sort(),
    };
  }
  return schema;
}

type Names = (knex: Knex, name: string) => Promise<string[]>;
/** Each database's catalog: tables of a prefix, a table's columns (with type and collation) and index names. */
const CATALOGS: Record<ReturnType<typeof dialectOf>, { tables: Names; columns: Names; indexes: Names }> = {
  mysql: {
    tables: async (knex, prefix) =>
      (
        await knex.raw(
          'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?',
          [`${prefix}%`],
        )
      )[0].map((r: { name: string }) => r.name),
    columns: async (knex, table) =>
      (
        await knex.raw(
          "SELECT CONCAT(column_name, ' ', column_type, ' ', IFNULL(collation_name, '')) AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
          [table],
        )
      )[0].map((r: { c: string }) => r.c),
    indexes: async (knex, table) =>
      (
        await knex.raw(
          'SELECT DISTINCT index_name AS i FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?',
          [table],
        )
      )[0].map((r: { i: string }) => r.i),
  },
  postgres: {
    tables: async (knex, prefix) =>
      (
        await knex.raw(
          'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE ?',
          [`${prefix}%`],
        )
      ).rows.map((r: { name: string }) => r.name),
    columns: async (knex, table) =>
      (
        await knex.raw(
          "SELECT concat_ws(' ', column_name, data_type, character_maximum_length, collation_name) AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?",
          [table],
        )
      ).rows.map((r: { c: string }) => r.c),
    indexes: async (knex, table) =>
      (
        await knex.raw('SELECT indexname AS i FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?', [
          table,
        ])
      ).rows.map((r: { i: string }) => r.i),
  },
  sqlite: {
    tables: async (knex, prefix) =>
      (await knex('sqlite_master').where('type', 'table').andWhere('name', 'like', `${prefix}%`).select('name')).map(
        (r: { name: string }) => r.name,
      ),
    columns: async (knex, table) =>
      (await knex.raw("SELECT name || ' ' || type AS c FROM pragma_table_info(?)", [table])).map(
        (r: { c: string }) => r.c,
      ),
    indexes: async (knex, table) =>
      (await knex.raw('SELECT name AS i FROM pragma_index_list(?)', [table])).map((r: { i: string }) => r.i),
  },
};

const DATABASES = [
  { name: 'SQLite file', url: () => tempSqliteUrl('migrate') },
  ...(process.env.TEST_MYSQL_URL ? [{ name: 'MariaDB', url: () => process.env.TEST_MYSQL_URL! }] : []),
  ...(process.env.TEST_PG_URL ? [{ name: 'PostgreSQL', url: () => process.env.TEST_PG_URL! }] : []),
];

for (const db of DATABASES) {
  describe(`Migrations under concurrency and crashes [${db.name}]`, function () {
    this.timeout(120_000);
    let url: string;
    let knex: Knex;
    const prefixes: string[] = [];
    const freshPrefix = () => {
      const p = uniquePrefix();
      prefixes.push(p);
      return p;
    };

    before(() => {
      url = db.url();
      knex = connectKnex(url);
    });
    after(async () => {
      for (const prefix of prefixes) await migrateRollbackAll(knex, prefix);
      await knex.destroy();
    });

    it('four processes migrating one database at once all end migrated, each migration applied once', async () => {
      const prefix = freshPrefix();
      const started = Date.now();
      const runs = await Promise.all([1, 2, 3, 4].map(() => runChild(url, prefix)));
      const elapsed = Date.now() - started;
      for (const run of runs) expect(run.code, run.stderr).to.equal(0);
      const applied = runs.flatMap((run) => JSON.parse(run.lines.at(-1)!) as string[]);
      expect(applied.sort()).to.deep.equal([...migrationNames()].sort());
      expect(await isMigrated(knex, prefix)).to.equal(true);
      expect(elapsed).to.be.below(60_000);
    });

    it('four Knex instances in one process migrating at once all end migrated', async () => {
      const prefix = freshPrefix();
      const instances = [1, 2, 3, 4].map(() => connectKnex(url));
      try {
        const applied = await Promise.all(instances.map((instance) => migrateLatest(instance, prefix)));
        expect(applied.flat().sort()).to.deep.equal([...migrationNames()].sort());
      } finally {
        await Promise.all(instances.map((instance) => instance.destroy()));
      }
      expect(await isMigrated(knex, prefix)).to.equal(true);
    });

    const killPoints = [
      {
        when: 'in the first migration, some tables created',
        stopAt: (p: string) => `create table .${tableNames(p).users}.`,
      },
      {
        when: 'in a later migration, its column added but not its index',
        stopAt: (p: string) => `${tableNames(p).userValues}_identifier_ix`,
      },
      {
        when: 'in the purge queue migration, the merged value index made but the old ones still there',
        stopAt: (p: string) => `drop index if exists .${tableNames(p).userValues}_lookup_ix`,
      },
    ];
    for (const { when, stopAt } of killPoints) {
      it(`a migrator killed ${when} leaves a database the next start migrates to the clean schema`, async () => {
        const prefix = freshPrefix();
        const killed = await runChild(url, prefix, stopAt(prefix));
        expect(killed.signal, killed.stderr).to.equal('SIGKILL');
        expect(await isMigrated(knex, prefix)).to.equal(false);

        await migrateLatest(knex, prefix);
        expect(await isMigrated(knex, prefix)).to.equal(true);
        const clean = freshPrefix();
        await migrateLatest(knex, clean);
        expect(await schemaOf(knex, prefix)).to.deep.equal(await schemaOf(knex, clean));
      });
    }
  });
}
