import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import { adminScope } from '../../lib/admin/authorize.js';
import request from 'supertest';
import { createAdminRouter } from '../../lib/admin/router.js';
import type { Connector } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';
import { adminClient, API, type AdminClient } from './admin-client.js';

const PAGES = `${MOUNT}/admin`;

/** The ids a request aims at: one organization's connector and its records, or ids nobody has. */
interface Aim {
  organization: string;
  connector: string;
  user: string;
  group: string;
  token: string;
  workspace: string;
}
interface Call {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: object;
}
type Answer = { status: number; error?: string };

/**
 * Every admin route, by its registered path. `by-id` routes name records and must answer an id of
 * another organization exactly as an id nobody has; `list` routes must leave other organizations
 * out; `no-data` routes hold no organization's data. Bodies are chosen so that a request inside
 * the scope reaches the handler (it answers something other than "not found").
 */
const ROUTES: Record<string, { kind: 'by-id' | 'list' | 'no-data'; call: (aim: Aim) => Call }> = {
  'GET /api/csrf': { kind: 'no-data', call: () => ({ method: 'GET', path: `${API}/csrf` }) },
  'GET /api/connectors': { kind: 'list', call: () => ({ method: 'GET', path: `${API}/connectors` }) },
  // Creating names an organization: one outside the scope answers like one nobody administers.
  'POST /api/connectors': {
    kind: 'by-id',
    call: (a) => ({
      method: 'POST',
      path: `${API}/connectors`,
      body: { organizationId: a.organization, name: `Created ${randomUUID().slice(0, 8)}`, preset: 'staffbase' },
    }),
  },
  'GET /api/connectors/:id': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}` }),
  },
  'PUT /api/connectors/:id/settings': {
    kind: 'by-id',
    call: (a) => ({
      method: 'PUT',
      path: `${API}/connectors/${a.connector}/settings`,
      body: { deleteMode: 'nonsense' },
    }),
  },
  'PUT /api/connectors/:id/oidc': {
    kind: 'by-id',
    call: (a) => ({ method: 'PUT', path: `${API}/connectors/${a.connector}/oidc`, body: { clientId: '' } }),
  },
  'PUT /api/connectors/:id/tenant': {
    kind: 'by-id',
    call: (a) => ({ method: 'PUT', path: `${API}/connectors/${a.connector}/tenant`, body: { tenantId: 'not-a-guid' } }),
  },
  'PUT /api/connectors/:id/default-group': {
    kind: 'by-id',
    call: (a) => ({
      method: 'PUT',
      path: `${API}/connectors/${a.connector}/default-group`,
      body: { groupId: a.group },
    }),
  },
  'POST /api/connectors/:id/deprovisioning/resume': {
    kind: 'by-id',
    call: (a) => ({ method: 'POST', path: `${API}/connectors/${a.connector}/deprovisioning/resume` }),
  },
  'GET /api/connectors/:id/groups': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}/groups` }),
  },
  'GET /api/connectors/:id/tokens': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}/tokens` }),
  },
  'POST /api/connectors/:id/tokens': {
    kind: 'by-id',
    call: (a) => ({ method: 'POST', path: `${API}/connectors/${a.connector}/tokens`, body: { label: 42 } }),
  },
  'DELETE /api/connectors/:id/tokens/:tokenId': {
    kind: 'by-id',
    call: (a) => ({ method: 'DELETE', path: `${API}/connectors/${a.connector}/tokens/${a.token}` }),
  },
  'GET /api/connectors/:id/entra-bulk-create.csv': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}/entra-bulk-create.csv` }),
  },
  // Inside the scope the body (a client id without its secret) answers 400 before any call to Entra.
  'POST /api/connectors/:id/entra-push': {
    kind: 'by-id',
    call: (a) => ({
      method: 'POST',
      path: `${API}/connectors/${a.connector}/entra-push`,
      body: { clientId: 'only-an-id' },
    }),
  },
  'GET /api/organizations/:org/entra-bulk-create.csv': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/organizations/${a.organization}/entra-bulk-create.csv` }),
  },
  'GET /api/connectors/:id/audit': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}/audit` }),
  },
  'POST /api/connectors/:id/login-method': {
    kind: 'by-id',
    call: (a) => ({
      method: 'POST',
      path: `${API}/connectors/${a.connector}/login-method`,
      body: { loginMethod: 'builtin', userIds: [a.user] },
    }),
  },
  'GET /api/connectors/:id/workspaces': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}/workspaces` }),
  },
  'POST /api/connectors/:id/workspaces': {
    kind: 'by-id',
    call: (a) => ({ method: 'POST', path: `${API}/connectors/${a.connector}/workspaces`, body: { id: 42 } }),
  },
  'DELETE /api/connectors/:id/workspaces/:workspaceId': {
    kind: 'by-id',
    call: (a) => ({
      method: 'DELETE',
      path: `${API}/connectors/${a.connector}/workspaces/${encodeURIComponent(a.workspace)}`,
    }),
  },
  'GET /api/users': { kind: 'by-id', call: (a) => ({ method: 'GET', path: `${API}/users?connector=${a.connector}` }) },
  'PUT /api/users/:id/login-method': {
    kind: 'by-id',
    call: (a) => ({
      method: 'PUT',
      path: `${API}/users/${a.user}/login-method`,
      body: { connectorId: a.connector, loginMethod: 'builtin' },
    }),
  },
  'GET /api/connectors/:id/entra-mapping': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}/entra-mapping` }),
  },
  'GET /api/connectors/:id/entra-mapping.txt': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${API}/connectors/${a.connector}/entra-mapping.txt` }),
  },
  'PUT /api/users/:id/protected': {
    kind: 'by-id',
    call: (a) => ({
      method: 'PUT',
      path: `${API}/users/${a.user}/protected`,
      body: { connectorId: a.connector, protected: false },
    }),
  },
  // Inside the scope a name that is not text answers 400.
  'POST /api/connectors/:id/groups': {
    kind: 'by-id',
    call: (a) => ({ method: 'POST', path: `${API}/connectors/${a.connector}/groups`, body: { displayName: 42 } }),
  },
  'PUT /api/connectors/:id/groups/:groupId': {
    kind: 'by-id',
    call: (a) => ({
      method: 'PUT',
      path: `${API}/connectors/${a.connector}/groups/${a.group}`,
      body: { displayName: `Team ${randomUUID().slice(0, 8)}` },
    }),
  },
  'GET /': { kind: 'list', call: () => ({ method: 'GET', path: `${PAGES}/` }) },
  'GET /connectors/:id': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${PAGES}/connectors/${a.connector}` }),
  },
  'GET /connectors/:id/users/:userId': {
    kind: 'by-id',
    call: (a) => ({ method: 'GET', path: `${PAGES}/connectors/${a.connector}/users/${a.user}` }),
  },
  // Last: inside the scope it deletes the organization's group.
  'DELETE /api/connectors/:id/groups/:groupId': {
    kind: 'by-id',
    call: (a) => ({ method: 'DELETE', path: `${API}/connectors/${a.connector}/groups/${a.group}` }),
  },
};

/** "METHOD path" of every route the admin router registers (pages, and the API under /api). */
function registeredRoutes(router: Router): string[] {
  type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat()) {
          for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${prefix}${path}`);
        }
      } else if (layer.handle?.stack) {
        // The one nested router is the JSON API, mounted at /api.
        walk(layer.handle.stack, '/api');
      }
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack, '');
  return found;
}

describeEachDatabase("Admin scope: an organization's admin sees only that organization", (db) => {
  let h: HostHarness;
  let own: Aim;
  let other: Aim;
  let otherConnector: Connector;
  let admin: AdminClient;

  async function records(connector: Connector): Promise<Aim> {
    const user = await h.provision({
      connectorId: connector.id,
      userName: `scoped.${randomUUID().slice(0, 6)}@${connector.organizationId}.example`,
    });
    const { group } = await h.store.groups.create(connector.id, { displayName: `Team ${connector.organizationId}` }, [
      { value: user.id },
    ]);
    const { record: token } = await h.store.tokens.create(connector.id, {
      label: `token of ${connector.organizationId}`,
    });
    const workspace = await h.runtime.workspaces.register(
      connector.organizationId,
      { id: `office-${connector.organizationId}` },
      { actor: 'test' },
    );
    return {
      organization: connector.organizationId,
      connector: connector.id,
      user: user.id,
      group: group.id,
      token: token.id,
      workspace: workspace.id,
    };
  }

  before(async () => {
    h = await startHostHarness(db);
    otherConnector = await h.store.connectors.create({ organizationId: 'org-fabrikam', name: 'Fabrikam Entra' });
    own = await records(h.connector);
    other = await records(otherConnector);
    admin = await adminClient(h, 'org-admin', h.connector.organizationId);
  });
  after(async () => {
    await h?.close();
  });

  async function send(call: Call): Promise<Answer & { text: string }> {
    const test = call.path.startsWith(API)
      ? await (call.method === 'GET'
          ? admin.get(call.path.slice(API.length))
          : admin[call.method === 'DELETE' ? 'delete' : call.method === 'PUT' ? 'put' : 'post'](
              call.path.slice(API.length),
              call.body,
            ))
      : await request(h.appOrigin)
          .get(call.path)
          .set('x-test-org', h.connector.organizationId)
          .set('Accept', 'text/html');
    return { status: test.status, error: test.body?.error, text: test.text };
  }

  it('the table below names every route the admin router registers (a new route must say how it is scoped)', () => {
    expect(registeredRoutes(createAdminRouter(h.runtime)).sort()).to.deep.equal(Object.keys(ROUTES).sort());
  });

  for (const [route, { kind, call }] of Object.entries(ROUTES)) {
    if (kind === 'by-id') {
      it(`${route}: another organization's ids answer exactly as ids nobody has; its own are reached`, async () => {
        const nowhere: Aim = {
          organization: `org-${randomUUID()}`,
          connector: randomUUID(),
          user: randomUUID(),
          group: randomUUID(),
          token: randomUUID(),
          workspace: `office-${randomUUID()}`,
        };
        const strip = ({ status, error }: Answer) => ({ status, error });
        const absent = strip(await send(call(nowhere)));
        expect(absent.status).to.be.within(400, 404);
        expect(strip(await send(call(other))), 'other organization').to.deep.equal(absent);
        // Own connector, the other organization's user/group/token.
        const absentRecord = strip(await send(call({ ...nowhere, connector: own.connector })));
        expect(
          strip(await send(call({ ...other, connector: own.connector }))),
          'own connector, other records',
        ).to.deep.equal(absentRecord);
        expect((await send(call(own))).status, 'own organization').to.not.equal(absent.status);
      });
    } else if (kind === 'list') {
      it(`${route}: lists this organization's connectors and leaves the other out`, async () => {
        const answer = await send(call(own));
        expect(answer.status).to.equal(200);
        expect(answer.text)
          .to.include(own.connector)
          .and.not.include(other.connector)
          .and.not.include(otherConnector.name);
      });
    }
  }

  it('an admin of all organizations (true or { organizations: "all" }) sees both', async () => {
    const staff = await adminClient(h, 'staff');
    const ids = (await staff.get('/connectors')).body.connectors.map((c: { id: string }) => c.id);
    expect(ids).to.include.members([own.connector, other.connector]);
  });

  it("reads authorizeAdmin's answer: true/all = every organization; a list = those; false, [], junk or a throw = nobody", async () => {
    const answers: Array<[unknown, unknown]> = [
      [true, { organizations: 'all' }],
      [{ organizations: 'all' }, { organizations: 'all' }],
      [{ organizations: ['org-a'] }, { organizations: ['org-a'] }],
      [false, null],
      [{ organizations: [] }, null],
      [{ organizations: [7] }, null],
      ['yes', null],
      [undefined, null],
      [new Error('host broke'), null],
    ];
    for (const [answer, scope] of answers) {
      const authorizeAdmin = () => {
        if (answer instanceof Error) throw answer;
        return answer as boolean;
      };
      const runtime = { ...h.runtime, options: { ...h.runtime.options, authorizeAdmin } };
      expect(await adminScope(runtime, {} as Request), String(answer)).to.deep.equal(scope);
    }
  });
});
