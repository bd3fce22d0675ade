/**
 * Seeds N users (default 100,000) into a fresh MariaDB database and prints the SQL and the
 * EXPLAIN plan of the store's queries for the lookups Entra makes and for list pages.
 *   EXPLAIN_MYSQL_URL=mysql://root:@127.0.0.1:3306 npx tsx scripts/explain-plans.ts [N]
 */
import knexFactory, { type Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { IdentityEvents } from '../lib/model/events.js';
import { parseFilter } from '../lib/scim/filter/parse.js';
import { resolveFilter } from '../lib/scim/filter/resolve.js';
import { USER_REGISTRY } from '../lib/model/schemas/registry.js';
import { knexConfigFromUrl } from '../lib/store/connect.js';
import { IdentityStore } from '../lib/store/index.js';
import { projectUser } from '../lib/store/project-user.js';

const total = Number(process.argv[2] ?? 100_000);
const server = process.env.EXPLAIN_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306';
const database = `idc_explain_${Date.now()}`;

async function seed(store: IdentityStore, knex: Knex, connectorId: string) {
  const t = store.tables;
  const now = Date.now();
  for (let start = 0; start < total; start += 1000) {
    const users: Record<string, unknown>[] = [];
    const values: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(total, start + 1000); i++) {
      const doc = {
        userName: `user${i}@contoso.com`,
        externalId: `oid-${i}`,
        active: true,
        displayName: `User ${i}`,
        name: { givenName: 'User', familyName: String(i) },
        emails: [
          { type: 'work', value: `user${i}@contoso.com`, primary: true },
          { type: 'home', value: `user${i}@home.example` },
        ],
      };
      const p = projectUser(doc);
      const id = uuidv7();
      users.push({
        id,
        connector_id: connectorId,
        ...p.columns,
        login_method: 'sso',
        version: 1,
        document: JSON.stringify(doc),
        created_at: now + i,
        updated_at: now + i,
      });
      for (const v of p.values) values.push({ ...v, user_id: id, connector_id: connectorId });
    }
    await knex.transaction(async (trx) => {
      await trx(t.users).insert(users);
      await trx(t.userValues).insert(values);
    });
  }
  await knex.raw(`ANALYZE TABLE ${t.users}, ${t.userValues}`);
}

async function main() {
  const admin = knexFactory(knexConfigFromUrl(`${server}/mysql`));
  await admin.raw(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const knex = knexFactory(knexConfigFromUrl(`${server}/${database}`));
  try {
    const store = new IdentityStore(knex, 'idc_', new IdentityEvents());
    await store.migrate();
    const connector = await store.connectors.create({ organizationId: 'org', name: 'explain' });
    const started = Date.now();
    await seed(store, knex, connector.id);
    console.log(`seeded ${total} users in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const captured: Array<{ sql: string; bindings: readonly unknown[] }> = [];
    let capturing = false;
    knex.on('query', (q: { sql: string; bindings: readonly unknown[] }) => {
      if (capturing) captured.push(q);
    });
    const cases: Array<[string, Parameters<IdentityStore['users']['list']>[1]]> = [
      [
        'userName eq',
        {
          filter: resolveFilter(parseFilter(`userName eq "USER77777@contoso.com"`), USER_REGISTRY),
          count: 100,
          startIndex: 1,
        },
      ],
      [
        'emails[type eq "work"].value eq',
        {
          filter: resolveFilter(parseFilter(`emails[type eq "work"].value eq "user77777@contoso.com"`), USER_REGISTRY),
          count: 100,
          startIndex: 1,
        },
      ],
      [
        'externalId eq',
        { filter: resolveFilter(parseFilter(`externalId eq "oid-77777"`), USER_REGISTRY), count: 100, startIndex: 1 },
      ],
      ['list page 1 (startIndex=1, count=100)', { count: 100, startIndex: 1 }],
      [`list last page (startIndex=${total - 99}, count=100)`, { count: 100, startIndex: total - 99 }],
      ['cursor page (keyset)', { count: 100, cursor: null }],
    ];
    for (const [name, query] of cases) {
      captured.length = 0;
      capturing = true;
      const t0 = process.hrtime.bigint();
      const result = await store.users.list(connector.id, query);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      capturing = false;
      console.log(
        `### ${name} — ${result.totalResults} total, ${result.items.length} returned, ${ms.toFixed(1)} ms (all statements)`,
      );
      for (const q of captured.splice(0)) {
        const sql = knex.raw(q.sql, q.bindings as never).toQuery();
        console.log('```sql\n' + sql + '\n```');
        const [plan] = await knex.raw(`EXPLAIN ${q.sql}`, q.bindings as never);
        console.log('| table | type | key | rows | Extra |\n| --- | --- | --- | --- | --- |');
        for (const row of plan as Array<Record<string, string | number | null>>) {
          console.log(`| ${row.table} | ${row.type} | ${row.key} | ${row.rows} | ${row.Extra ?? ''} |`);
        }
        console.log('');
      }
    }
  } finally {
    await knex.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
