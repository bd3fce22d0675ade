import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Connector } from '../../lib/model/types.js';
import { decideWorkspaces } from '../../lib/policy/workspaces.js';
import { createRuntime } from '../../lib/web/runtime.js';
import { describeEachDatabase } from '../support/databases.js';
import { startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { BACKGROUND_STATEMENT } from '../support/statements.js';

const SYSTAM = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const HOST = { actor: 'host' };

describe('decideWorkspaces (the rule, without a database)', () => {
  const c = (workspaceId: string, rank: number) => ({ userId: 'u', workspaceId, rank });
  it('the attribute (rank 0) wins over groups, the first listed group over later ones, then the fallback', () => {
    expect(decideWorkspaces([c('grp-b', 2), c('attr', 0), c('grp-a', 1)], 'fb', 'primary')).to.deep.equal({
      primary: 'attr',
      workspaces: ['attr'],
    });
    expect(decideWorkspaces([c('grp-b', 2), c('grp-a', 1)], 'fb', 'primary')).to.deep.equal({
      primary: 'grp-a',
      workspaces: ['grp-a'],
    });
    expect(decideWorkspaces([], 'fb', 'primary')).to.deep.equal({ primary: 'fb', workspaces: ['fb'] });
    expect(decideWorkspaces([], null, 'all')).to.deep.equal({ primary: null, workspaces: [] });
  });
  it('sync "all" keeps every mapped workspace, the primary among them; the fallback only when nothing maps', () => {
    expect(decideWorkspaces([c('z', 2), c('attr', 0), c('a', 1)], 'fb', 'all')).to.deep.equal({
      primary: 'attr',
      workspaces: ['a', 'attr', 'z'],
    });
  });
  it('sync "primary" maintains the primary only: the former primary is left, other workspaces stay (Systam\'s switch back)', () => {
    const before = { primary: 'a', workspaces: ['a', 'lobby'] };
    expect(decideWorkspaces([c('a', 0)], 'fb', 'primary', before)).to.deep.equal(before);
    expect(decideWorkspaces([c('b', 0)], 'fb', 'primary', before)).to.deep.equal({
      primary: 'b',
      workspaces: ['b', 'lobby'],
    });
    expect(decideWorkspaces([], null, 'primary', before)).to.deep.equal({ primary: null, workspaces: ['lobby'] });
    // "all" is decided from the mapping alone.
    expect(decideWorkspaces([c('b', 0)], 'fb', 'all', before)).to.deep.equal({ primary: 'b', workspaces: ['b'] });
  });
});

describeEachDatabase('Primary workspace: decided on every user write and membership change', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h.close();
  });

  /** A connector of its own organization (workspaces are per organization), with these workspaces registered. */
  async function systam(workspaces: Record<string, unknown>, registered: string[]): Promise<Connector> {
    const organizationId = `org-${randomUUID().slice(0, 8)}`;
    const connector = await h.identity.store.connectors.create({
      organizationId,
      name: 'Systam',
      preset: 'systam',
      settings: { workspaces, matchOnCreate: 'none' },
    });
    for (const id of registered) await h.identity.workspaces.register(organizationId, { id, name: `Workspace ${id}` });
    return connector;
  }

  const host = (userName: string, workspace?: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', SYSTAM],
    userName,
    active: true,
    emails: [{ type: 'work', value: userName, primary: true }],
    ...(workspace === undefined ? {} : { [SYSTAM]: { primaryWorkspace: workspace } }),
  });
  const create = (c: Connector, userName: string, workspace?: string) =>
    h.identity.users.create(c, host(userName, workspace), HOST);
  /** SCIM requests as Entra sends them, with a token of this connector. */
  const tokens = new Map<string, string>();
  async function scim(c: Connector) {
    // One token per connector (two may be live at once).
    const token = tokens.get(c.id) ?? (await h.identity.store.tokens.create(c.id)).token;
    tokens.set(c.id, token);
    const send = (method: 'post' | 'patch' | 'put' | 'delete', path: string, body?: unknown) => {
      const test = h.http[method](`/identity/scim/v2${path}`)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/scim+json');
      return body === undefined ? test : test.send(JSON.stringify(body));
    };
    return { send, token };
  }

  /** A group as Entra creates it (SCIM POST, through the policy): store.groups.create alone decides nothing. */
  const group = async (c: Connector, externalId: string, members: string[]) => {
    const { send } = await scim(c);
    return (
      await send('post', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: `g-${externalId}`,
        externalId,
        members: members.map((value) => ({ value })),
      }).expect(201)
    ).body as { id: string };
  };
  const of = (c: Connector, userId: string) => h.identity.workspaces.forUser(c.id, userId);

  it("maps the attribute's value (any letter case) through `values`, or as a registered workspace id itself", async () => {
    const c = await systam({ values: { Helsinki: 'hki', systam: 'main' } }, ['main', 'hki', 'tre']);
    expect(await of(c, (await create(c, 'a@x.fi', 'HELSINKI')).id)).to.deep.equal({
      primary: 'hki',
      workspaces: ['hki'],
    });
    expect(await of(c, (await create(c, 'b@x.fi', 'systam')).id)).to.deep.equal({
      primary: 'main',
      workspaces: ['main'],
    });
    expect(await of(c, (await create(c, 'c@x.fi', 'tre')).id)).to.deep.equal({ primary: 'tre', workspaces: ['tre'] });
  });

  it('attribute first, then the first listed group, then the fallback; an unregistered mapping is skipped', async () => {
    const [g1, g2] = [randomUUID(), randomUUID()];
    const c = await systam(
      { values: { gone: 'not-registered' }, groups: { [g1]: 'hki', [g2]: 'tre' }, fallback: 'main' },
      ['first', 'main', 'hki', 'tre'],
    );
    const [a, b, d, e] = [
      await create(c, 'a@x.fi', 'tre'),
      await create(c, 'b@x.fi'),
      await create(c, 'd@x.fi', 'gone'),
      await create(c, 'e@x.fi'),
    ];
    await group(c, g2, [a.id, b.id, d.id]);
    await group(c, g1, [b.id]);
    expect(await of(c, a.id)).to.deep.equal({ primary: 'tre', workspaces: ['tre'] });
    expect(await of(c, b.id), 'first listed group').to.deep.equal({ primary: 'hki', workspaces: ['hki'] });
    expect(await of(c, d.id), 'unregistered value → group').to.deep.equal({ primary: 'tre', workspaces: ['tre'] });
    expect(await of(c, e.id), 'nothing maps → fallback').to.deep.equal({ primary: 'main', workspaces: ['main'] });
  });

  it('sync "all": the user is in every workspace that maps, the primary flagged', async () => {
    const [g1, g2] = [randomUUID(), randomUUID()];
    const c = await systam({ groups: { [g1]: 'hki', [g2]: 'tre' }, sync: 'all' }, ['main', 'hki', 'tre']);
    const u = await create(c, 'a@x.fi', 'main');
    await group(c, g1, [u.id]);
    await group(c, g2, [u.id]);
    expect(await of(c, u.id)).to.deep.equal({ primary: 'main', workspaces: ['hki', 'main', 'tre'] });
  });

  it("no fallback named: the organization's first registered workspace; none registered: the write succeeds and registering one places the user", async () => {
    const c = await systam({}, []);
    const u = await create(c, 'a@x.fi', 'unknown');
    expect(await of(c, u.id)).to.deep.equal({ primary: null, workspaces: [] });
    await h.identity.workspaces.register(c.organizationId, { id: 'first' });
    await h.identity.workspaces.register(c.organizationId, { id: 'second' });
    expect(await of(c, u.id)).to.deep.equal({ primary: 'first', workspaces: ['first'] });
    // Registering the workspace the attribute names moves the user there.
    await h.identity.workspaces.register(c.organizationId, { id: 'unknown', name: 'Now known' });
    expect(await of(c, u.id)).to.deep.equal({ primary: 'unknown', workspaces: ['unknown'] });
    expect((await h.identity.workspaces.list(c.organizationId)).map((w) => [w.id, w.name])).to.deep.equal([
      ['first', 'first'],
      ['second', 'second'],
      ['unknown', 'Now known'],
    ]);
  });

  it('a PATCH of the attribute re-decides; the SCIM User shows the value Entra sent, not the resolved workspace', async () => {
    const c = await systam({ values: { Helsinki: 'hki' }, fallback: 'main' }, ['main', 'hki']);
    const u = await create(c, 'a@x.fi', 'systam');
    expect(await of(c, u.id)).to.deep.equal({ primary: 'main', workspaces: ['main'] });
    await h.identity.users.update(
      c,
      u.id,
      'user.patch',
      (current) => ({ ...current.document, [SYSTAM]: { primaryWorkspace: 'Helsinki' } }),
      HOST,
    );
    expect(await of(c, u.id)).to.deep.equal({ primary: 'hki', workspaces: ['hki'] });
    const stored = await h.identity.store.users.get(c.id, u.id);
    expect(stored!.document[SYSTAM]).to.deep.equal({ primaryWorkspace: 'Helsinki' });
  });

  it('membership changes of a mapped group re-decide its members, set-based: add, remove, replace all, delete the group', async () => {
    const g = randomUUID();
    const c = await systam({ groups: { [g]: 'hki' }, fallback: 'main' }, ['main', 'hki']);
    const users = [await create(c, 'a@x.fi'), await create(c, 'b@x.fi'), await create(c, 'd@x.fi')];
    const mapped = await group(c, g, [users[0].id, users[1].id]);
    const primaries = async () => Promise.all(users.map(async (u) => (await of(c, u.id)).primary));
    expect(await primaries()).to.deep.equal(['hki', 'hki', 'main']);
    const { send } = await scim(c);
    await send('patch', `/Groups/${mapped.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Remove', path: `members[value eq "${users[0].id}"]` },
        { op: 'Add', path: 'members', value: [{ value: users[2].id }] },
      ],
    }).expect(204);
    expect(await primaries()).to.deep.equal(['main', 'hki', 'hki']);
    const [row] = await h.identity.store.audit.list(c.id, { resourceId: mapped.id, limit: 1 });
    const detail = JSON.parse(row.detail!).workspaces;
    expect([detail.usersChanged, [...detail.users].sort()]).to.deep.equal([2, [users[0].id, users[2].id].sort()]);
    await send('put', `/Groups/${mapped.id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'g',
      externalId: g,
      members: [{ value: users[0].id }],
    }).expect(200);
    expect(await primaries()).to.deep.equal(['hki', 'main', 'main']);
    await send('patch', `/Groups/${mapped.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Remove', path: 'members' }],
    }).expect(204);
    expect(await primaries()).to.deep.equal(['main', 'main', 'main']);
    await send('patch', `/Groups/${mapped.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Add', path: 'members', value: [{ value: users[1].id }] }],
    }).expect(204);
    expect(await primaries()).to.deep.equal(['main', 'hki', 'main']);
    await send('delete', `/Groups/${mapped.id}`).expect(204);
    expect(await primaries()).to.deep.equal(['main', 'main', 'main']);
  });

  it('raises user.workspaces-changed after commit, and the audit row of the write names the change', async () => {
    const c = await systam({ values: { Helsinki: 'hki' } }, ['main', 'hki']);
    const seen: unknown[] = [];
    const listener = (e: unknown) => {
      seen.push(e);
    };
    h.identity.events.on('user.workspaces-changed', listener);
    try {
      const u = await create(c, 'a@x.fi', 'Helsinki');
      expect(seen).to.deep.equal([
        {
          connectorId: c.id,
          userId: u.id,
          before: { primary: null, workspaces: [] },
          after: { primary: 'hki', workspaces: ['hki'] },
        },
      ]);
      const [row] = await h.identity.store.audit.list(c.id, { resourceId: u.id });
      expect(JSON.parse(row.detail!).workspaces).to.deep.equal({
        primary: { from: null, to: 'hki' },
        added: ['hki'],
        removed: [],
      });
      // A write that fails after the decision rolls it back: no event, nothing recorded.
      seen.length = 0;
      await h.identity.store
        .transaction(async (tx) => {
          await tx.workspaces.apply(c.id, [
            {
              userId: u.id,
              before: { primary: 'hki', workspaces: ['hki'] },
              after: { primary: 'main', workspaces: ['main'] },
            },
          ]);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      expect(seen).to.deep.equal([]);
      expect(await of(c, u.id)).to.deep.equal({ primary: 'hki', workspaces: ['hki'] });
    } finally {
      h.identity.events.off('user.workspaces-changed', listener);
    }
  });

  it("removing a workspace moves its users to what their mapping decides next, audited on the organization's connectors", async () => {
    const c = await systam({ values: { Helsinki: 'hki' }, fallback: 'main' }, ['main', 'hki']);
    const u = await create(c, 'a@x.fi', 'Helsinki');
    expect(await h.identity.workspaces.remove(c.organizationId, 'hki')).to.equal(true);
    expect(await of(c, u.id)).to.deep.equal({ primary: 'main', workspaces: ['main'] });
    expect(await h.identity.workspaces.remove(c.organizationId, 'hki')).to.equal(false);
    const [row] = await h.identity.store.audit.list(c.id, { operation: 'workspace.remove' });
    expect(JSON.parse(row.detail!)).to.deep.include({
      workspace: 'hki',
      workspaces: { usersChanged: 1, users: [u.id] },
    });
  });

  it("a changed mapping moves nobody by itself (as the guide says) until the user's next write or a resync", async () => {
    const c = await systam({ fallback: 'main' }, ['main', 'hki']);
    const [a, b] = [await create(c, 'a@x.fi', 'Helsinki'), await create(c, 'b@x.fi', 'Helsinki')];
    const remapped = await h.identity.store.connectors.updateSettings(c.id, {
      workspaces: { values: { Helsinki: 'hki' }, sync: 'all' },
    });
    expect((await of(c, a.id)).primary).to.equal('main');
    await h.identity.users.update(
      remapped,
      a.id,
      'user.patch',
      (current) => ({ ...current.document, displayName: 'A' }),
      HOST,
    );
    expect(await of(c, a.id)).to.deep.equal({ primary: 'hki', workspaces: ['hki'] });
    expect((await of(c, b.id)).primary).to.equal('main');
    expect(await h.identity.workspaces.resync(remapped)).to.equal(1);
    expect(await of(c, b.id)).to.deep.equal({ primary: 'hki', workspaces: ['hki'] });
    const [row] = await h.identity.store.audit.list(c.id, { operation: 'workspace.resync' });
    expect(JSON.parse(row.detail!)).to.deep.include({
      usersChanged: 1,
      workspaces: { usersChanged: 1, users: [b.id] },
    });
  });

  it("two concurrent membership changes for one user: the later decision sees the earlier one's commit (row locks on MariaDB and PostgreSQL)", async function () {
    if (db.name === 'sqlite') this.skip();
    const [g1, g2] = [randomUUID(), randomUUID()];
    const c = await systam({ attribute: null, groups: { [g1]: 'hki', [g2]: 'tre' }, fallback: 'main' }, [
      'main',
      'hki',
      'tre',
    ]);
    const u = await create(c, 'a@x.fi');
    const [first, second] = [await group(c, g1, []), await group(c, g2, [u.id])];
    expect((await of(c, u.id)).primary).to.equal('tre');
    const { workspaces } = createRuntime(h.identity.store, h.identity.options);
    const change = (
      groupId: string,
      membership: Array<{ op: 'add'; members: Array<{ value: string }> } | { op: 'remove'; userIds: string[] }>,
      hold?: Promise<void>,
    ) =>
      h.identity.store.transaction(async (tx) => {
        const before = await tx.groups.get(c.id, groupId, { forUpdate: true });
        await workspaces.groupWrite(
          tx,
          c,
          before,
          {
            replacesMembers: false,
            userIds: membership.flatMap((m) => (m.op === 'add' ? m.members.map((x) => x.value) : m.userIds)),
          },
          () => tx.groups.update(c.id, groupId, { membership }),
        );
        await hold;
      });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A adds the user to the first group and holds its transaction open; B, started meanwhile, removes them from the second.
    const a = change(first.id, [{ op: 'add', members: [{ value: u.id }] }], held);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const b = change(second.id, [{ op: 'remove', userIds: [u.id] }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await Promise.all([a, b]);
    expect(await of(c, u.id), "B decided from A's committed membership, not its snapshot").to.deep.equal({
      primary: 'hki',
      workspaces: ['hki'],
    });
  });

  it('concurrent PATCHes moving the same users between two mapped groups all succeed, and leave nothing a resync would change', async function () {
    this.timeout(60_000);
    const [g1, g2] = [randomUUID(), randomUUID()];
    const c = await systam({ attribute: null, groups: { [g1]: 'hki', [g2]: 'tre' }, fallback: 'main' }, [
      'main',
      'hki',
      'tre',
    ]);
    const users: string[] = [];
    for (let i = 0; i < 20; i++) users.push((await create(c, `mover${i}@x.fi`)).id);
    const [first, second] = [await group(c, g1, []), await group(c, g2, [])];
    const { send } = await scim(c);
    const members = (op: 'Add' | 'Remove', ids: string[]) => ({
      schemas: [PATCH],
      Operations: [{ op, path: 'members', value: ids.map((value) => ({ value })) }],
    });
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const [to, from] = round % 2 ? [second, first] : [first, second];
      const answers = await Promise.all([
        send('patch', `/Groups/${to.id}`, members('Add', users)),
        send('patch', `/Groups/${from.id}`, members('Remove', users)),
        send('patch', `/Groups/${from.id}`, members('Add', users.slice(0, 5))),
      ]);
      statuses.push(...answers.map((a) => a.status));
    }
    expect(
      statuses.filter((s) => s !== 204),
      'every PATCH succeeded',
    ).to.deep.equal([]);
    expect(
      await h.identity.workspaces.resync(c),
      'users whose recorded workspaces differ from their memberships',
    ).to.equal(0);
  });

  it('a connector without a workspace mapping records none', async () => {
    const u = await h.identity.users.create(h.connector, host('plain@x.fi'), HOST);
    expect(await h.identity.workspaces.forUser(h.connector.id, u.id)).to.deep.equal({ primary: null, workspaces: [] });
  });

  /** How many statements `run` executes and how long it takes: SQLite prepares every statement it runs on its one connection. */
  async function statementsOf(
    run: () => PromiseLike<unknown>,
  ): Promise<{ statements: number; ms: number; sql: string[] }> {
    const client = h.knex.client as {
      acquireConnection(): Promise<{ prepare(sql: string): unknown }>;
      releaseConnection(conn: unknown): Promise<void>;
    };
    const conn = await client.acquireConnection();
    await client.releaseConnection(conn);
    const original = conn.prepare;
    let statements = 0;
    const sql: string[] = [];
    // The request's own statements: the limits' counter flush and the token cache's fingerprint
    // check run on timers, once a second and every 800 ms, whatever the request does.
    conn.prepare = function counted(this: unknown, text: string) {
      if (!BACKGROUND_STATEMENT.test(text)) {
        statements += 1;
        sql.push(text.slice(0, 120));
      }
      return original.call(this, text);
    };
    const started = process.hrtime.bigint();
    try {
      await run();
    } finally {
      conn.prepare = original;
    }
    return { statements, ms: Number(process.hrtime.bigint() - started) / 1e6, sql };
  }

  it('measures the statements of one SCIM POST /Users with the Systam mapping against the same connector without it (SQLite)', async function () {
    if (db.name !== 'sqlite') this.skip();
    const mapped = await systam({ values: { systam: 'main' } }, ['main']);
    const plain = await h.identity.store.connectors.create({
      organizationId: mapped.organizationId,
      name: 'Systam without workspaces',
      preset: 'systam',
      settings: { workspaces: false, matchOnCreate: 'none' },
    });
    const post = async (c: Connector, userName: string) => {
      const { send } = await scim(c);
      return statementsOf(() => send('post', '/Users', host(userName, 'systam')).expect(201));
    };
    // Timers (the limits' flush, the token cache's check) may add a statement to one request:
    // the fewest of three requests is the request's own count.
    const fewest = async (c: Connector, label: string) => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i += 1) counts.push((await post(c, `${label}${i}@x.fi`)).statements);
      return { statements: Math.min(...counts) };
    };
    await post(plain, 'warm1@x.fi');
    await post(mapped, 'warm2@x.fi');
    const [without, withMapping] = [await fewest(plain, 'plain'), await fewest(mapped, 'mapped')];
    console.log(
      `      POST /Users: without workspaces ${without.statements} statements, with the mapping ${withMapping.statements}`,
    );
    // The candidates read and one INSERT (a new user has no rows to delete; its attribute maps, so no fallback read).
    expect(withMapping.statements - without.statements).to.equal(2);
  });

  it('measures the statements of a SCIM PATCH adding 1,000 members to a mapped group, against an unmapped one (SQLite counts every prepare)', async function () {
    if (db.name !== 'sqlite') this.skip();
    this.timeout(120_000);
    const g = randomUUID();
    const c = await systam({ groups: { [g]: 'hki' }, fallback: 'main' }, ['main', 'hki']);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push((await create(c, `member${i}@x.fi`)).id);
    const { send } = await scim(c);
    const mapped = (
      await send('post', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'mapped',
        externalId: g,
      }).expect(201)
    ).body;
    const unmapped = (
      await send('post', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'unmapped',
        externalId: randomUUID(),
      }).expect(201)
    ).body;
    const count = (groupId: string) =>
      statementsOf(() =>
        send('patch', `/Groups/${groupId}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }],
        }).expect(204),
      );
    const without = await count(unmapped.id);
    const withMapping = await count(mapped.id);
    console.log(
      `      PATCH adding 1,000 members: unmapped group ${without.statements} statements (${without.ms.toFixed(0)} ms), mapped group ${withMapping.statements} statements (${withMapping.ms.toFixed(0)} ms)`,
    );
    expect((await of(c, ids[999])).primary).to.equal('hki');
    // Per 500 users: one read of the current rows, two of the candidates (attribute, groups), one DELETE and an INSERT per 200 rows (every member maps: no fallback read).
    // The message lists both requests' statements, so a count above the bound names what ran.
    expect(
      withMapping.statements - without.statements,
      `mapped:\n${withMapping.sql.join('\n')}\nunmapped:\n${without.sql.join('\n')}`,
    ).to.be.at.most(14);
  });
});
