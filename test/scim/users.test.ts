import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { expectScimError } from '../support/scim-error.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describeEachDatabase('SCIM Users', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h.close();
  });

  describe('replay of one Entra provisioning cycle', () => {
    let id: string;
    it('test connection: GET /Users?filter=userName eq "<random guid>" answers an empty ListResponse', async () => {
      const res = await h.scim.get(
        '/Users?filter=' + encodeURIComponent('userName eq "9c7f1a3e-5b2d-4a7c-8e6f-0d1b2c3a4e5f"'),
      );
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0 });
      expect(res.body.Resources).to.deep.equal([]);
    });
    it('lookup before create finds nothing, then POST /Users creates the user (201, Location, ETag)', async () => {
      const lookup = await h.scim.get('/Users?filter=' + encodeURIComponent('userName eq "alice.smith@contoso.com"'));
      expect(lookup.body.totalResults).to.equal(0);
      const res = await h.scim.post(
        '/Users',
        entraUser('alice.smith@contoso.com', {
          title: 'Engineer',
          phoneNumbers: [
            { type: 'work', value: '+1 555 0100' },
            { type: 'mobile', value: '+1 555 0101' },
          ],
          addresses: [
            {
              type: 'work',
              formatted: '1 Main St, Springfield',
              locality: 'Springfield',
              country: 'US',
              primary: true,
            },
          ],
          roles: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'User' }],
          [ENTERPRISE]: {
            department: 'R&D',
            employeeNumber: '42',
            organization: 'Contoso',
            manager: { value: 'mgr-1' },
          },
        }),
      );
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.headers['content-type']).to.match(/application\/scim\+json/);
      id = res.body.id;
      expect(res.headers.location).to.equal(`http://127.0.0.1/identity/scim/v2/Users/${id}`);
      expect(res.headers.etag).to.equal('W/"1"');
      expect(res.body.meta).to.include({ resourceType: 'User', version: 'W/"1"', location: res.headers.location });
      expect(res.body[ENTERPRISE]).to.deep.equal({
        department: 'R&D',
        employeeNumber: '42',
        organization: 'Contoso',
        manager: { value: 'mgr-1' },
      });
      expect(res.body.roles[0]).to.include({ value: 'User', primary: true });
      const stored = await h.identity.store.users.get(h.connector.id, id);
      expect(stored?.webRole).to.equal('User');
    });
    it('the same lookup by userName (any letter case) and by externalId now finds exactly that user', async () => {
      for (const filter of ['userName eq "ALICE.SMITH@contoso.com"', 'externalId eq "oid-alice.smith@contoso.com"']) {
        const res = await h.scim.get('/Users?filter=' + encodeURIComponent(filter) + '&excludedAttributes=groups');
        expect(res.body.totalResults, filter).to.equal(1);
        expect(res.body.Resources[0].id).to.equal(id);
      }
    });
    it('PATCH in the RFC dialect (lower-case ops with paths) updates attributes', async () => {
      const res = await h.scim.patch(`/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'replace', path: 'title', value: 'Senior Engineer' },
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'alice@contoso.com' },
          { op: 'add', path: `${ENTERPRISE}:department`, value: 'Platform' },
        ],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
      expect(res.headers.etag).to.equal('W/"2"');
      const user = (await h.scim.get(`/Users/${id}`)).body;
      expect(user.title).to.equal('Senior Engineer');
      expect(user.emails[0].value).to.equal('alice@contoso.com');
      expect(user[ENTERPRISE].department).to.equal('Platform');
    });
    it("PATCH in Entra's dialect (capitalised ops, path-less value with path keys) updates attributes", async () => {
      const res = await h.scim.patch(`/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          {
            op: 'Replace',
            value: { 'name.givenName': 'Alicia', displayName: 'Alicia Smith', [`${ENTERPRISE}:employeeNumber`]: '43' },
          },
          { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'mgr-2' },
        ],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
      const user = (await h.scim.get(`/Users/${id}`)).body;
      expect(user.name.givenName).to.equal('Alicia');
      expect(user.displayName).to.equal('Alicia Smith');
      expect(user[ENTERPRISE].employeeNumber).to.equal('43');
      expect(user[ENTERPRISE].manager).to.deep.equal({ value: 'mgr-2' });
    });
    it('PATCH replace active="False" (Entra string boolean) deactivates the user', async () => {
      const events: string[] = [];
      h.identity.events.once('user.deactivated', (u) => events.push(u.id));
      const res = await h.scim.patch(`/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
      });
      expect(res.status).to.equal(204);
      expect((await h.scim.get(`/Users/${id}`)).body.active).to.equal(false);
      expect(events).to.deep.equal([id]);
    });
    it('DELETE answers 204, then the user is gone (404 with a SCIM error)', async () => {
      expect((await h.scim.delete(`/Users/${id}`)).status).to.equal(204);
      expectScimError(await h.scim.get(`/Users/${id}`), 404);
      expectScimError(await h.scim.delete(`/Users/${id}`), 404);
    });
    it('every write of the cycle is in the provisioning log with its outcome', async () => {
      const events = await h.identity.store.audit.list(h.connector.id);
      const ops = events.map((e) => `${e.operation}:${e.outcome}`);
      expect(ops).to.include.members([
        'user.create:success',
        'user.patch:success',
        'user.delete:success',
        'user.delete:failure',
      ]);
    });
  });

  describe('uniqueness and identity', () => {
    it('a duplicate userName, in any letter case, answers 409 uniqueness', async () => {
      expect((await h.scim.post('/Users', entraUser('bob@contoso.com'))).status).to.equal(201);
      expectScimError(await h.scim.post('/Users', entraUser('BOB@Contoso.com')), 409, 'uniqueness');
    });
    it('userNames differing only by an accent are different users', async () => {
      expect((await h.scim.post('/Users', entraUser('josé@contoso.com'))).status).to.equal(201);
      expect((await h.scim.post('/Users', entraUser('jose@contoso.com'))).status).to.equal(201);
    });
    it('externalId is not unique (RFC 7643): two users may share one', async () => {
      const a = await h.scim.post('/Users', entraUser('ext1@contoso.com', { externalId: 'shared' }));
      const b = await h.scim.post('/Users', entraUser('ext2@contoso.com', { externalId: 'shared' }));
      expect([a.status, b.status]).to.deep.equal([201, 201]);
      const res = await h.scim.get('/Users?filter=' + encodeURIComponent('externalId eq "shared"'));
      expect(res.body.totalResults).to.equal(2);
    });
    it('an externalId lookup with more matches than the page holds still counts them all', async () => {
      const res = await h.scim.get('/Users?count=1&filter=' + encodeURIComponent('externalId eq "shared"'));
      expect(res.body).to.include({ totalResults: 2, itemsPerPage: 1 });
      expect(res.body.Resources[0].userName).to.equal('ext1@contoso.com');
    });
    it("DELETE leaves none of the user's memberships, and its value, address and extension rows go soon after", async () => {
      const user = (
        await h.scim.post(
          '/Users',
          entraUser('leaving@contoso.com', {
            emails: [{ type: 'work', value: 'leaving@contoso.com', primary: true }],
            addresses: [{ type: 'work', locality: 'Redmond' }],
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales' },
            // Multi-valued: extension rows (single-valued extension attributes have none).
            'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName': { folders: ['Inbox', 'Archive'] },
          }),
        )
      ).body;
      const group = (
        await h.scim.post('/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'Leavers',
          members: [{ value: user.id }],
        })
      ).body;
      const t = h.identity.store.tables;
      const rows = async () =>
        Promise.all(
          [t.userValues, t.userAddresses, t.userExtensions, t.groupMembers].map(
            async (table) => (await h.knex(table).where({ user_id: user.id })).length,
          ),
        );
      expect((await rows()).every((n) => n > 0)).to.equal(true);
      expect((await h.scim.delete(`/Users/${user.id}`)).status).to.equal(204);
      expect((await h.knex(t.groupMembers).where({ user_id: user.id })).length).to.equal(0);
      // The search rows are purged in the background (lib/runtime/user-purge.ts), about a second later.
      const deadline = Date.now() + 10_000;
      while ((await rows()).some((n) => n > 0) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await rows()).to.deep.equal([0, 0, 0, 0]);
      expect((await h.scim.get(`/Groups/${group.id}`)).body.members ?? []).to.deep.equal([]);
    });
    it('a renaming PUT onto a taken userName answers 409 and changes nothing', async () => {
      const carol = (await h.scim.post('/Users', entraUser('carol@contoso.com'))).body;
      expectScimError(await h.scim.put(`/Users/${carol.id}`, entraUser('bob@contoso.com')), 409, 'uniqueness');
      expect((await h.scim.get(`/Users/${carol.id}`)).body.userName).to.equal('carol@contoso.com');
    });
  });

  describe('attribute handling', () => {
    it('attribute names are case-insensitive in bodies (RFC 7643 §2.1)', async () => {
      const res = await h.scim.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        UserName: 'case@contoso.com',
        Emails: [{ Value: 'case@contoso.com', Type: 'work', Primary: 'true' }],
        NAME: { GivenName: 'Case' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.userName).to.equal('case@contoso.com');
      expect(res.body.emails[0]).to.deep.include({ value: 'case@contoso.com', type: 'work', primary: true });
      expect(res.body.name.givenName).to.equal('Case');
    });
    it('readOnly attributes (id, meta) sent by the client are ignored', async () => {
      const res = await h.scim.post('/Users', {
        ...entraUser('ro@contoso.com'),
        id: 'client-id',
        meta: { created: '2001-01-01T00:00:00Z' },
      });
      expect(res.status).to.equal(201);
      expect(res.body.id).to.not.equal('client-id');
      expect(res.body.meta.created).to.not.equal('2001-01-01T00:00:00Z');
    });
    it('an attribute of an undeclared extension schema answers 400 invalidValue', async () => {
      expectScimError(
        await h.scim.post('/Users', {
          ...entraUser('undeclared@contoso.com'),
          'urn:example:unknown:2.0:User': { x: 1 },
        }),
        400,
        'invalidValue',
      );
    });
    it('a wrong type answers 400 invalidValue naming the attribute', async () => {
      const res = await h.scim.post('/Users', { ...entraUser('types@contoso.com'), active: 'maybe' });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.match(/active/);
    });
    it('a missing userName answers 400', async () => {
      expectScimError(
        await h.scim.post('/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          displayName: 'No Name',
        }),
        400,
      );
    });
    it('password is never returned', async () => {
      const res = await h.scim.post('/Users', { ...entraUser('pw@contoso.com'), password: 'Secret-123' });
      expect(res.status).to.equal(201);
      expect(res.body).to.not.have.property('password');
      expect(JSON.stringify((await h.scim.get(`/Users/${res.body.id}`)).body)).to.not.include('Secret-123');
    });
    it('an app-role value the role map does not know is stored, gives no web role and is noted in the log (never a 400 Entra would count toward quarantine)', async () => {
      const res = await h.scim
        .post('/Users', entraUser('role@contoso.com', { roles: [{ primary: 'True', value: 'Overlord' }] }))
        .expect(201);
      expect(res.body.roles).to.deep.equal([{ primary: true, value: 'Overlord' }]);
      expect((await h.identity.store.users.get(h.connector.id, res.body.id))?.webRole).to.equal(null);
      const [entry] = await h.identity.store.audit.list(h.connector.id, { operation: 'user.create', limit: 1 });
      expect(JSON.parse(entry.detail!)).to.deep.include({ unmappedRoles: ['Overlord'] });
    });
    it('attributes= returns only the asked attributes plus id; excludedAttributes drops them', async () => {
      const created = (await h.scim.post('/Users', entraUser('proj@contoso.com'))).body;
      const only = (await h.scim.get(`/Users/${created.id}?attributes=userName,name.givenName`)).body;
      expect(Object.keys(only).sort()).to.deep.equal(['id', 'name', 'schemas', 'userName']);
      expect(only.name).to.deep.equal({ givenName: 'proj' });
      const without = (await h.scim.get(`/Users/${created.id}?excludedAttributes=emails,meta`)).body;
      expect(without).to.not.have.property('emails');
      expect(without).to.have.property('userName');
    });
  });

  describe('bad input', () => {
    it('malformed JSON answers 400 invalidSyntax', async () => {
      const res = await h.http
        .post('/identity/scim/v2/Users')
        .set('Authorization', `Bearer ${h.token}`)
        .set('Content-Type', 'application/json')
        .send('{"userName": ');
      expectScimError(res, 400, 'invalidSyntax');
    });
    it('a body over 1 MB answers 413', async () => {
      const res = await h.scim.post('/Users', { ...entraUser('big@contoso.com'), displayName: 'x'.repeat(1_100_000) });
      expectScimError(res, 413);
    });
    it('JSON nested deeper than 32 levels answers 400', async () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 40; i++) deep = { a: deep };
      expectScimError(
        await h.scim.post('/Users', {
          ...entraUser('deep@contoso.com'),
          'urn:ietf:params:scim:schemas:extension:2.0:Metadata': deep,
        }),
        400,
      );
    });
    it('a Metadata key named like a resource-level name (schemas, id, meta, externalId) is refused, not stored', async () => {
      const METADATA = 'urn:ietf:params:scim:schemas:extension:2.0:Metadata';
      const user = (await h.scim.post('/Users', { ...entraUser('reserved@contoso.com'), [METADATA]: { badge: '1' } }))
        .body;
      const patch = (operation: unknown) =>
        h.scim.patch(`/Users/${user.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [operation],
        });
      for (const key of ['schemas', 'id', 'Meta', 'externalId']) {
        expectScimError(
          await h.scim.post('/Users', { ...entraUser(`r.${key}@contoso.com`), [METADATA]: { [key]: 'x' } }),
          400,
          'invalidValue',
        );
        expectScimError(
          await h.scim.post('/Users', { ...entraUser(`s.${key}@contoso.com`), [`${METADATA}:${key}`]: 'x' }),
          400,
          'invalidValue',
        );
        expectScimError(await patch({ op: 'add', path: `${METADATA}:${key}`, value: 'x' }), 400, 'invalidValue');
        expectScimError(await patch({ op: 'add', value: { [METADATA]: { [key]: 'x' } } }), 400, 'invalidValue');
      }
      expect((await h.scim.get(`/Users/${user.id}`)).body[METADATA]).to.deep.equal({ badge: '1' });
    });
    it('a host listener that throws or rejects neither changes the committed answer nor reaches the process', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      const throwing = () => {
        throw new Error('host listener bug');
      };
      const rejecting = async () => {
        throw new Error('host async listener bug');
      };
      h.identity.events.on('user.created', throwing);
      // The listener rejects on purpose: what is tested is that the connector catches it (captureRejections).
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      h.identity.events.on('user.updated', rejecting);
      try {
        const created = await h.scim.post('/Users', entraUser('listener@contoso.com'));
        expect(created.status).to.equal(201);
        const patched = await h.scim.patch(`/Users/${created.body.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'title', value: 'x' }],
        });
        expect(patched.status).to.be.oneOf([200, 204]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(unhandled).to.deep.equal([]);
        expect(h.logs.text()).to.include('an identity event listener failed');
      } finally {
        h.identity.events.off('user.created', throwing);
        // eslint-disable-next-line @typescript-eslint/no-misused-promises
        h.identity.events.off('user.updated', rejecting);
        process.off('unhandledRejection', onUnhandled);
      }
    });
    it('a malformed filter answers 400 invalidFilter saying where', async () => {
      const res = await h.scim.get('/Users?filter=' + encodeURIComponent('userName eq "a" and ('));
      expectScimError(res, 400, 'invalidFilter');
    });
    it('requests sent as application/json are accepted like application/scim+json', async () => {
      const res = await h.http
        .post('/identity/scim/v2/Users')
        .set('Authorization', `Bearer ${h.token}`)
        .set('Content-Type', 'application/json')
        .send(entraUser('json@contoso.com'));
      expect(res.status).to.equal(201);
    });
    it('a failing PATCH operation leaves the user exactly as it was (one transaction)', async () => {
      const user = (await h.scim.post('/Users', entraUser('atomic@contoso.com'))).body;
      const res = await h.scim.patch(`/Users/${user.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'replace', path: 'title', value: 'Changed' },
          { op: 'replace', path: 'noSuchAttribute', value: 'x' },
        ],
      });
      expectScimError(res, 400, 'invalidPath');
      const after = (await h.scim.get(`/Users/${user.id}`)).body;
      expect(after.title).to.equal(undefined);
      expect(after.meta.version).to.equal('W/"1"');
    });
  });

  describe('ETags', () => {
    it('If-Match with a stale version answers 412 and changes nothing', async () => {
      const user = (await h.scim.post('/Users', entraUser('etag@contoso.com'))).body;
      const ok = await h.scim
        .patch(`/Users/${user.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'title', value: 'A' }],
        })
        .set('If-Match', 'W/"1"');
      expect(ok.status).to.equal(204);
      const stale = await h.scim
        .patch(`/Users/${user.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'title', value: 'B' }],
        })
        .set('If-Match', 'W/"1"');
      expectScimError(stale, 412);
      expect((await h.scim.get(`/Users/${user.id}`)).body.title).to.equal('A');
    });
    it('If-None-Match with the current version answers 304', async () => {
      const user = (await h.scim.post('/Users', entraUser('etag2@contoso.com'))).body;
      const res = await h.scim.get(`/Users/${user.id}`).set('If-None-Match', 'W/"1"');
      expect(res.status).to.equal(304);
    });
  });
});
