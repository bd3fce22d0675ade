import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { createIdentityConnector, type IdentityConnector } from '../../lib/index.js';
import { migrationConfig, migrationNames } from '../../lib/store/migrate.js';
import { tableNames } from '../../lib/store/tables.js';
import { describeEachDatabase, tempSqliteUrl, testKnex, uniquePrefix } from '../support/databases.js';
import { entraUser, SECRET_KEY } from '../support/scim-harness.js';

const SYSTAM = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User';
const METADATA = 'urn:ietf:params:scim:schemas:extension:2.0:Metadata';

/** The tables the first migration creates: what every later migration's down must leave whole. */
const CORE: Array<keyof ReturnType<typeof tableNames>> = [
  'connectors',
  'scimTokens',
  'users',
  'userValues',
  'userAddresses',
  'userExtensions',
  'groups',
  'groupMembers',
  'auditEvents',
];

/** Row count and a digest of every row (its columns of the first migration, sorted) of each core table. */
async function snapshot(
  knex: Knex,
  prefix: string,
  columns: Map<string, string[]>,
): Promise<Record<string, { rows: number; digest: string }>> {
  const t = tableNames(prefix);
  const out: Record<string, { rows: number; digest: string }> = {};
  for (const name of CORE) {
    const rows = await knex(t[name]).select(columns.get(name)!);
    const lines = rows
      .map((row) =>
        JSON.stringify(
          columns
            .get(name)!
            .map((c) => (row[c] instanceof Buffer ? row[c].toString('hex') : row[c] == null ? null : String(row[c]))),
        ),
      )
      .sort();
    out[name] = { rows: rows.length, digest: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16) };
  }
  return out;
}

describeEachDatabase('Migrations down to the first and up again keep every row of the core tables', (db) => {
  let knex: Knex;
  let prefix: string;
  let identity: IdentityConnector;
  before(async () => {
    // Knex's SQLite migrations open their own transaction on the one connection: a file, as a host has.
    knex = testKnex({ name: db.name, url: db.name === 'sqlite' ? tempSqliteUrl('migrate-down') : db.url });
    prefix = uniquePrefix();
    identity = await createIdentityConnector({
      knex,
      tablePrefix: prefix,
      baseUrl: 'https://platform.example',
      mountPath: '/identity',
      secretKey: SECRET_KEY,
    });
    await identity.migrate();
  });
  after(async () => {
    await identity?.store.rollbackAll();
    await knex?.destroy();
  });

  it('a populated database (users, values, addresses, extensions, groups, members, tokens, workspaces, audit), one step at a time', async function () {
    this.timeout(120_000);
    const { store } = identity;
    for (const org of ['org-a', 'org-b']) {
      const connector = await store.connectors.create({
        organizationId: org,
        name: 'Entra',
        settings: { workspaces: { attribute: `${SYSTAM}:primaryWorkspace` }, groupsEnabled: true },
      });
      await identity.workspaces.register(org, { id: 'ws-1', name: 'Workspace 1' });
      await store.tokens.create(connector.id);
      await store.tokens.create(connector.id);
      const ids: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        const user = await identity.users.create(
          connector,
          entraUser(`u${i}.${org}@contoso.com`, {
            addresses: [{ type: 'work', formatted: `${i} Main St`, locality: 'Town' }],
            phoneNumbers: [{ type: 'work', value: `+1 555 000 ${i}` }],
            [SYSTAM]: { primaryWorkspace: 'ws-1' },
            [METADATA]: { badge: String(i) },
          }),
          { actor: 'host' },
        );
        ids.push(user.id);
      }
      await store.groups.create(
        connector.id,
        { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Staff ${org}` },
        ids.map((value) => ({ value })),
      );
    }
    const t = tableNames(prefix);
    const columns = new Map<string, string[]>();
    for (const name of CORE) columns.set(name, Object.keys(await knex(t[name]).columnInfo()));
    const before = await snapshot(knex, prefix, columns);
    for (const name of ['users', 'userValues', 'userAddresses', 'groupMembers', 'scimTokens', 'auditEvents']) {
      expect(before[name].rows, name).to.be.greaterThan(0);
    }
    expect(await knex(t.userWorkspaces).count({ n: '*' }).first()).to.satisfy(
      (row: { n: number | string }) => Number(row.n) > 0,
    );

    const config = migrationConfig(prefix);
    const steps = migrationNames().length - 1;
    for (let step = 0; step < steps; step += 1) {
      const [, undone] = (await knex.migrate.down(config)) as [number, string[]];
      expect(undone, `step ${step + 1}`).to.have.length(1);
      const now = await snapshot(
        knex,
        prefix,
        new Map([...columns].map(([name, cols]) => [name, cols]))
          .set('connectors', await present(knex, t.connectors, columns.get('connectors')!))
          .set('users', await present(knex, t.users, columns.get('users')!)),
      );
      for (const name of CORE) expect(now[name].rows, `${name} after undoing ${undone[0]}`).to.equal(before[name].rows);
    }
    expect((await knex(t.migrations).select('name')).map((r: { name: string }) => r.name)).to.deep.equal([
      migrationNames()[0],
    ]);

    await identity.migrate();
    expect(await snapshot(knex, prefix, columns)).to.deep.equal(before);
  });
});

/** The columns of `wanted` the table has now (later migrations' columns are gone while they are undone). */
async function present(knex: Knex, table: string, wanted: string[]): Promise<string[]> {
  const have = Object.keys(await knex(table).columnInfo());
  return wanted.filter((c) => have.includes(c));
}
