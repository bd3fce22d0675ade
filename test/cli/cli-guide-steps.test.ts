import { expect } from 'chai';
import { runCli } from '../../lib/cli/commands.js';
import { connectKnex } from '../../lib/store/connect.js';
import { IdentityStore } from '../../lib/store/index.js';
import { IdentityEvents } from '../../lib/model/events.js';
import { describeEachDatabase, tempSqliteUrl, uniquePrefix } from '../support/databases.js';

/**
 * The guides' admin steps from the command line, as an operator without the admin page takes
 * them: Systam's Organization Owners protected, IFS Ultimo's default group made, the Entra
 * mapping sheet printed. Each write is in the provisioning log with actor `cli`.
 */
describeEachDatabase("CLI: the platform guides' admin steps", (db) => {
  const saved = { ...process.env };
  const url = db.name === 'sqlite' ? tempSqliteUrl('cli-guides') : db.url;
  const prefix = uniquePrefix();
  let store: IdentityStore;
  before(async () => {
    process.env.DATABASE_URL = url;
    process.env.IDENTITY_TABLE_PREFIX = prefix;
    expect((await run('migrate')).code).to.equal(0);
    store = new IdentityStore(connectKnex(url), prefix, new IdentityEvents());
  });
  after(async () => {
    await store.rollbackAll();
    await store.knex.destroy();
    process.env = saved;
  });

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const created = (text: string) => /created connector (\S+)/.exec(text)![1];
  /** The connector's log entries the CLI wrote about users and groups (connector create is audited too). */
  const cliLog = async (connectorId: string) =>
    (await store.audit.list(connectorId, { limit: 20 })).filter(
      (e) => e.actor === 'cli' && (e.resourceType === 'User' || e.resourceType === 'Group'),
    );

  it('user protect and user unprotect mark an Organization Owner (by userName), audited', async () => {
    const connectorId = created(
      (await run('connector', 'create', '--org', 'systam-org', '--name', 'Systam', '--preset', 'systam')).out,
    );
    const owner = await store.users.create(connectorId, {
      document: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'owner@contoso.fi' },
      loginMethod: 'builtin',
    });
    const marked = await run('user', 'protect', '--connector', connectorId, '--user', 'owner@contoso.fi');
    expect(marked).to.include({ code: 0, out: `user owner@contoso.fi (${owner.id}): protected` });
    expect((await store.users.get(connectorId, owner.id))?.protected).to.equal(true);
    expect((await run('user', 'protect', '--connector', connectorId, '--user', owner.id)).out).to.match(
      /already protected/,
    );
    expect((await run('user', 'unprotect', '--connector', connectorId, '--user', owner.id)).code).to.equal(0);
    expect((await store.users.get(connectorId, owner.id))?.protected).to.equal(false);
    const log = await cliLog(connectorId);
    expect(log.map((e) => [e.operation, JSON.parse(e.detail ?? '{}').protected])).to.deep.equal([
      ['user.protection', { from: true, to: false }],
      ['user.protection', { from: false, to: true }],
    ]);
    expect((await run('user', 'protect', '--connector', connectorId, '--user', 'nobody')).err).to.match(
      /no user with id or userName "nobody"/,
    );
  });

  it("group create, rename and delete make IFS Ultimo's default group without host code, audited", async () => {
    const connectorId = created(
      (await run('connector', 'create', '--org', 'ultimo-org', '--name', 'Ultimo', '--preset', 'ifs-ultimo')).out,
    );
    const made = await run('group', 'create', '--connector', connectorId, '--name', 'Ultimo users');
    expect(made.code, made.err).to.equal(0);
    const groupId = /created group (\S+)/.exec(made.out)![1];
    expect((await run('group', 'create', '--connector', connectorId, '--name', 'Ultimo users')).code).to.equal(1);
    expect(
      (await run('group', 'rename', '--connector', connectorId, '--group', groupId, '--name', 'All employees')).out,
    ).to.equal(`renamed group ${groupId} to All employees`);
    expect((await store.groups.get(connectorId, groupId))?.displayName).to.equal('All employees');
    // "New users are added to a default group which can be set in the application."
    expect((await run('connector', 'default-group', '--connector', connectorId, '--group', groupId)).out).to.equal(
      `connector ${connectorId}: default group ${groupId}`,
    );
    expect((await store.connectors.require(connectorId)).defaultGroupId).to.equal(groupId);
    expect((await run('connector', 'default-group', '--connector', connectorId)).code).to.equal(2);
    expect((await run('group', 'delete', '--connector', connectorId, '--group', groupId)).code).to.equal(0);
    expect(await store.groups.get(connectorId, groupId)).to.equal(undefined);
    expect((await cliLog(connectorId)).map((e) => e.operation)).to.deep.equal([
      'group.delete',
      'group.patch',
      'group.create',
    ]);
    expect((await run('group', 'create', '--connector', connectorId)).code).to.equal(2);
  });

  it("connector entra-mapping prints the sheet: Ultimo's site with its exact name, and as JSON", async () => {
    const connectorId = created(
      (await run('connector', 'create', '--org', 'ultimo-org', '--name', 'Ultimo sheet', '--preset', 'ifs-ultimo')).out,
    );
    const text = await run('connector', 'entra-mapping', '--connector', connectorId);
    expect(text.out.split('\n')[0]).to.equal(
      'Target attribute\tType\tMulti-value\tAdd to attribute list\tRequired\tSuggested source\tNotes',
    );
    expect(text.out).to.include(
      'urn:ietf:params:scim:schemas:extension:ultimo:2.0:User:site\tString\tno\tyes\tno\t(your choice)',
    );
    const rows = JSON.parse((await run('connector', 'entra-mapping', '--connector', connectorId, '--json')).out);
    expect(rows.find((r: { target: string }) => r.target === 'userName')).to.deep.include({
      required: 'yes',
      source: 'userPrincipalName',
    });
  });
});
