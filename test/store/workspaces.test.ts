import { expect } from 'chai';
import { IdentityEvents } from '../../lib/model/events.js';
import {
  DEFAULT_SETTINGS,
  DEFAULT_WORKSPACE_MAPPING,
  mergeSettings,
  MAX_WORKSPACE_MAPPINGS,
} from '../../lib/model/settings.js';
import { IdentityStore } from '../../lib/store/index.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';

const SYSTAM = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User';

describe('settings.workspaces (validation and defaults)', () => {
  const merge = (workspaces: unknown) => mergeSettings(DEFAULT_SETTINGS, { workspaces }).workspaces;

  it('is off by default; fields merge over the default mapping; false turns it off again', () => {
    expect(DEFAULT_SETTINGS.workspaces).to.equal(false);
    expect(merge({ fallback: 'main' })).to.deep.equal({ ...DEFAULT_WORKSPACE_MAPPING, fallback: 'main' });
    expect(DEFAULT_WORKSPACE_MAPPING.attribute).to.equal(`${SYSTAM}:primaryWorkspace`);
    const on = mergeSettings(DEFAULT_SETTINGS, { workspaces: { sync: 'all', groups: { g: 'w' } } });
    expect(mergeSettings(on, { workspaces: { fallback: 'x' } }).workspaces).to.deep.include({
      sync: 'all',
      groups: { g: 'w' },
      fallback: 'x',
    });
    expect(mergeSettings(on, { workspaces: false }).workspaces).to.equal(false);
  });

  it('takes any single-valued extension attribute, in canonical spelling, or null', () => {
    expect(
      (
        merge({ attribute: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:DEPARTMENT' }) as {
          attribute: string;
        }
      ).attribute,
    ).to.equal('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department');
    expect((merge({ attribute: null }) as { attribute: null }).attribute).to.equal(null);
  });

  it('refuses what the decision could not use, naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ attribute: 'title' }, /workspaces.attribute must be null or a single-valued extension attribute/],
      [{ attribute: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager' }, /workspaces.attribute/],
      [{ attribute: 'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName:folders' }, /workspaces.attribute/],
      [{ sync: 'some' }, /workspaces.sync must be "primary" or "all"/],
      [{ values: { x: ' padded' } }, /workspaces.values\["x"\] must name a workspace id/],
      [{ groups: ['g'] }, /workspaces.groups must map group ids to workspace ids/],
      [{ fallback: '' }, /workspaces.fallback must be null or a workspace id/],
      [
        { values: Object.fromEntries(Array.from({ length: MAX_WORKSPACE_MAPPINGS + 1 }, (_, i) => [`v${i}`, 'w'])) },
        /at most 400 entries/,
      ],
      [{ colour: 'blue' }, /workspaces: unknown field "colour"/],
      [true, /workspaces must be false or/],
    ];
    for (const [value, message] of cases)
      expect(() => merge(value), JSON.stringify(value).slice(0, 60)).to.throw(message);
  });
});

describeEachDatabase('Workspace store', (db) => {
  const knex = testKnex(db);
  const store = new IdentityStore(knex, uniquePrefix(), new IdentityEvents());
  let connectorId: string;
  before(async () => {
    await store.migrate();
    connectorId = (await store.connectors.create({ organizationId: 'org-ws', name: 'workspace-tests' })).id;
  });
  after(async () => {
    await store.rollbackAll();
    await knex.destroy();
  });

  it('registers per organization, renames in place, lists, falls back, removes', async () => {
    expect(await store.workspaces.register('org-ws', 'b', 'Bee')).to.deep.include({ created: true });
    await store.workspaces.register('org-ws', 'a', 'Ay');
    await store.workspaces.register('org-other', 'a', 'Other organization');
    const renamed = await store.workspaces.register('org-ws', 'b', 'Bee renamed');
    expect(renamed.created).to.equal(false);
    expect((await store.workspaces.list('org-ws')).map((w) => [w.id, w.name])).to.have.deep.members([
      ['b', 'Bee renamed'],
      ['a', 'Ay'],
    ]);
    expect((await store.workspaces.list('org-other')).map((w) => w.name)).to.deep.equal(['Other organization']);
    expect(await store.workspaces.fallback('org-ws', 'a')).to.equal('a');
    expect(await store.workspaces.fallback('org-ws', 'missing')).to.be.oneOf(['a', 'b']);
    expect(await store.workspaces.fallback('org-none', null)).to.equal(null);
    expect(await store.workspaces.remove('org-ws', 'a')).to.equal(true);
    expect(await store.workspaces.remove('org-ws', 'a')).to.equal(false);
    expect(await store.workspaces.get('org-other', 'a')).to.include({ name: 'Other organization' });
  });

  it("records a user's workspaces with one primary; the rows go with the user", async () => {
    await store.workspaces.register('org-ws', 'c', 'Cee');
    const user = await store.users.create(connectorId, { document: { userName: 'rows@x.fi' }, loginMethod: 'builtin' });
    await store.workspaces.apply(connectorId, [
      { userId: user.id, before: { primary: null, workspaces: [] }, after: { primary: 'c', workspaces: ['b', 'c'] } },
    ]);
    expect(await store.workspaces.forUser(connectorId, user.id)).to.deep.equal({
      primary: 'c',
      workspaces: ['b', 'c'],
    });
    expect((await store.workspaces.counts(connectorId)).get('c')).to.deep.equal({ users: 1, primary: 1 });
    expect(await store.workspaces.usersWithoutWorkspace(connectorId)).to.not.include(user.id);
    await store.users.delete(connectorId, user.id);
    expect(await knex(store.tables.userWorkspaces).where({ user_id: user.id })).to.deep.equal([]);
  });

  it('its migration runs again after a crash between its two tables, keeping the registered workspaces', async () => {
    const t = store.tables;
    await knex.schema.dropTable(t.userWorkspaces);
    await knex(t.migrations).where({ name: '20261201040000_workspaces' }).delete();
    expect(await store.migrate()).to.deep.equal(['20261201040000_workspaces']);
    expect(await knex.schema.hasTable(t.userWorkspaces)).to.equal(true);
    expect((await store.workspaces.list('org-ws')).map((w) => w.id)).to.include('b');
  });
});
