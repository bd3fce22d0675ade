import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

describeEachDatabase('SCIM lists: filter, paging, sorting, search', (db) => {
  let h: ScimHarness;
  const names = ['carol', 'alice', 'eve', 'bob', 'dave', 'frank', 'grace'];
  before(async () => {
    h = await startScimHarness(db);
    for (const [i, n] of names.entries()) {
      await h.scim
        .post(
          '/Users',
          entraUser(`${n}@contoso.com`, {
            title: i % 2 ? 'Engineer' : 'Manager',
            emails: [
              { type: 'work', value: `${n}@contoso.com`, primary: true },
              { type: 'home', value: `${n}@home.example` },
            ],
          }),
        )
        .expect(201);
    }
  });
  after(async () => {
    await h.close();
  });

  it('startIndex/count page through the users; totalResults counts them all', async () => {
    const page = (await h.scim.get('/Users?startIndex=3&count=2')).body;
    expect(page).to.include({ totalResults: 7, itemsPerPage: 2, startIndex: 3 });
    const all = (await h.scim.get('/Users?count=100')).body.Resources.map((u: { id: string }) => u.id);
    expect(page.Resources.map((u: { id: string }) => u.id)).to.deep.equal(all.slice(2, 4));
  });
  it('totalResults of a page follows every create and delete at once', async () => {
    const total = async () => (await h.scim.get('/Users?count=2')).body.totalResults as number;
    const before = await total();
    expect(await total()).to.equal(before);
    const id = (await h.scim.post('/Users', entraUser('counted@contoso.com')).expect(201)).body.id;
    expect(await total()).to.equal(before + 1);
    await h.scim.delete(`/Users/${id}`).expect(204);
    expect(await total()).to.equal(before);
  });
  it('count is capped at the maximum page size; count=0 returns only totalResults', async () => {
    expect((await h.scim.get('/Users?count=100000')).body.itemsPerPage).to.equal(7);
    const zero = (await h.scim.get('/Users?count=0')).body;
    expect(zero).to.include({ totalResults: 7, itemsPerPage: 0 });
  });
  it('sortBy/sortOrder order by the attribute', async () => {
    const asc = (await h.scim.get('/Users?sortBy=userName')).body.Resources.map(
      (u: { userName: string }) => u.userName.split('@')[0],
    );
    expect(asc).to.deep.equal([...names].sort());
    const desc = (await h.scim.get('/Users?sortBy=userName&sortOrder=descending')).body.Resources.map(
      (u: { userName: string }) => u.userName.split('@')[0],
    );
    expect(desc).to.deep.equal([...names].sort().reverse());
  });
  it('cursor paging (RFC 9865) walks forward with nextCursor and back with previousCursor', async () => {
    const first = (await h.scim.get('/Users?cursor=&count=3&sortBy=userName')).body;
    expect(first).to.not.have.property('startIndex');
    expect(first.Resources.map((u: { userName: string }) => u.userName[0])).to.deep.equal(['a', 'b', 'c']);
    expect(first).to.not.have.property('previousCursor');
    const second = (await h.scim.get(`/Users?cursor=${first.nextCursor}&count=3&sortBy=userName`)).body;
    expect(second.Resources.map((u: { userName: string }) => u.userName[0])).to.deep.equal(['d', 'e', 'f']);
    const third = (await h.scim.get(`/Users?cursor=${second.nextCursor}&count=3&sortBy=userName`)).body;
    expect(third.Resources.map((u: { userName: string }) => u.userName[0])).to.deep.equal(['g']);
    expect(third).to.not.have.property('nextCursor');
    const back = (await h.scim.get(`/Users?cursor=${second.previousCursor}&count=3&sortBy=userName`)).body;
    expect(back.Resources.map((u: { userName: string }) => u.userName[0])).to.deep.equal(['a', 'b', 'c']);
  });
  it('a cursor this server did not issue answers 400 invalidCursor', async () => {
    const res = await h.scim.get('/Users?cursor=bm9wZQ&count=3');
    expect(res.status).to.equal(400);
    expect(res.body.scimType).to.equal('invalidCursor');
  });
  it('filters combine with paging, and emails[type eq "work"].value eq matches only work addresses', async () => {
    const res = (
      await h.scim.get(
        '/Users?' +
          new URLSearchParams({
            filter: 'title eq "engineer" and emails[type eq "work" and value ew "@contoso.com"]',
            count: '2',
          }).toString(),
      )
    ).body;
    expect(res.totalResults).to.equal(3);
    expect(res.Resources).to.have.length(2);
    const work = (
      await h.scim.get(
        '/Users?' + new URLSearchParams({ filter: 'emails[type eq "work"].value eq "eve@home.example"' }).toString(),
      )
    ).body;
    expect(work.totalResults).to.equal(0);
  });
  it('POST /Users/.search takes the same parameters in its body', async () => {
    const res = await h.scim.post('/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName sw "a" or userName sw "b"',
      attributes: ['userName'],
      sortBy: 'userName',
      startIndex: 1,
      count: 10,
    });
    expect(res.status).to.equal(200);
    expect(res.body.Resources.map((u: Record<string, unknown>) => Object.keys(u).sort().join(','))).to.deep.equal([
      'id,schemas,userName',
      'id,schemas,userName',
    ]);
    expect(res.body.Resources.map((u: { userName: string }) => u.userName)).to.deep.equal([
      'alice@contoso.com',
      'bob@contoso.com',
    ]);
  });
  it('attributes or excludedAttributes of the wrong type in .search or a query answer 400 invalidValue naming it', async () => {
    for (const parameter of ['attributes', 'excludedAttributes']) {
      for (const value of [{ userName: true }, 42, true, ['userName', { a: 1 }], [['userName']]]) {
        const res = await h.scim.post('/Users/.search', {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
          [parameter]: value,
        });
        expect(res.status, `${parameter}: ${JSON.stringify(value)}`).to.equal(400);
        expect(res.body).to.include({ scimType: 'invalidValue' });
        expect(res.body.detail).to.include(parameter);
      }
    }
    const repeated = await h.scim.get('/Users?attributes=userName&attributes=displayName&count=1');
    expect(repeated.status).to.equal(200);
    expect(Object.keys(repeated.body.Resources[0]).sort()).to.deep.equal(['displayName', 'id', 'schemas', 'userName']);
  });
  it('Microsoft validator dialect: + for spaces, capitalised attribute names, unquoted values', async () => {
    const res = await h.http
      .get('/identity/scim/v2/Users/?filter=UserName+sw+al')
      .set('Authorization', `Bearer ${h.token}`);
    expect(res.status).to.equal(200);
    expect(res.body.totalResults).to.equal(1);
  });
  it('meta.created gt a date-time with an offset compares instants', async () => {
    const res = await h.scim.get(
      '/Users?' + new URLSearchParams({ filter: 'meta.created gt "2015-10-10T14:38:21.8617979-07:00"' }).toString(),
    );
    expect(res.body.totalResults).to.equal(7);
  });
  it('an unknown attribute in a filter answers 400 invalidFilter naming it', async () => {
    const res = await h.scim.get('/Users?' + new URLSearchParams({ filter: 'shoeSize gt 9' }).toString());
    expect(res.status).to.equal(400);
    expect(res.body.scimType).to.equal('invalidFilter');
    expect(res.body.detail).to.include('shoeSize');
  });
  it('a filter over the length limit answers 400 invalidFilter', async () => {
    const res = await h.scim.post('/Users/.search', {
      filter: Array.from({ length: 400 }, (_, i) => `userName eq "u${i}@contoso.com"`).join(' or '),
    });
    expect(res.status).to.equal(400);
    expect(res.body.scimType).to.equal('invalidFilter');
  });
});
