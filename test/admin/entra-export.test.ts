import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { ENTRA_BULK_CREATE_COLUMNS, ENTRA_BULK_CREATE_VERSION } from '../../lib/model/entra-bulk-csv.js';
import { describeEachDatabase } from '../support/databases.js';
import { startHostHarness, type HostHarness } from '../support/host-harness.js';

const API = '/identity/admin/api';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The file as Entra's bulk create reads it: the version line, then a CSV with the template's headings. */
function readBulkCreate(text: string): Array<Record<string, string>> {
  const [version, ...rest] = text.split('\n');
  expect(version).to.equal(ENTRA_BULK_CREATE_VERSION);
  return parse<Record<string, string>>(rest.join('\n'), { columns: true });
}

describeEachDatabase('Export to Entra bulk create (the modelled platform)', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
    const host = { actor: 'host' };
    await h.runtime.users.create(
      h.connector,
      {
        userName: 'rosa@contoso.com',
        displayName: 'Rosa Parks',
        title: 'Planner',
        active: true,
        name: { givenName: 'Rosa', familyName: 'Parks' },
        phoneNumbers: [
          { type: 'mobile', value: '+1 555 0101' },
          { type: 'work', value: '+1 555 0100' },
        ],
        addresses: [{ type: 'work', locality: 'Montgomery', country: 'US', postalCode: '36104' }],
        [ENTERPRISE]: { department: 'Operations' },
      },
      host,
      { loginMethod: 'builtin' },
    );
    await h.runtime.users.create(h.connector, { userName: 'left@contoso.com', active: false }, host, {
      loginMethod: 'builtin',
    });
    // Provisioned from Entra already (externalId = its object id): not exported.
    await h.runtime.users.create(h.connector, { userName: 'from.entra@contoso.com', externalId: 'oid-1' }, host);
  });
  after(async () => {
    await h?.close();
  });

  const admin = (path: string) => request(h.appOrigin).get(`${API}${path}`).set('x-test-admin', 'yes');

  it("answers a connector's platform-only users in the bulk-create template, each with its own initial password", async () => {
    const response = await admin(`/connectors/${h.connector.id}/entra-bulk-create.csv`).expect(200);
    expect(response.type).to.equal('text/csv');
    expect(response.headers['content-disposition']).to.match(/^attachment; filename="entra-bulk-create-/);
    const rows = readBulkCreate(response.text);
    expect(Object.keys(rows[0])).to.deep.equal([...ENTRA_BULK_CREATE_COLUMNS]);
    expect(rows.map((r) => r['User name [userPrincipalName] Required'])).to.deep.equal([
      'rosa@contoso.com',
      'left@contoso.com',
    ]);
    expect(rows[0]).to.deep.include({
      'Name [displayName] Required': 'Rosa Parks',
      'Block sign in (Yes/No) [accountEnabled] Required': 'No',
      'First name [givenName]': 'Rosa',
      'Last name [surname]': 'Parks',
      'Job title [jobTitle]': 'Planner',
      'Department [department]': 'Operations',
      'City [city]': 'Montgomery',
      'Country or region [country]': 'US',
      'ZIP or postal code [postalCode]': '36104',
      'Office phone [telephoneNumber]': '+1 555 0100',
      'Mobile phone [mobile]': '+1 555 0101',
    });
    expect(rows[1]['Block sign in (Yes/No) [accountEnabled] Required']).to.equal('Yes');
    const passwords = rows.map((r) => r['Initial password [passwordProfile] Required']);
    expect(new Set(passwords).size).to.equal(2);
    for (const p of passwords) expect(p).to.match(/^[A-Za-z0-9_-]{22}!$/);
  });

  it("answers an organization's users across its connectors, and 404 for an organization without any", async () => {
    const rows = readBulkCreate(
      (await admin(`/organizations/${h.connector.organizationId}/entra-bulk-create.csv`).expect(200)).text,
    );
    expect(rows).to.have.length(2);
    await admin('/organizations/nobody/entra-bulk-create.csv').expect(404);
  });

  it('is linked from the admin page', async () => {
    const page = await request(h.appOrigin)
      .get(`/identity/admin/connectors/${h.connector.id}`)
      .set('x-test-admin', 'yes')
      .set('Accept', 'text/html')
      .expect(200);
    const href = /<a href="([^"]+entra-bulk-create\.csv)" download>/.exec(page.text)?.[1];
    expect(href).to.equal(`${API}/connectors/${h.connector.id}/entra-bulk-create.csv`);
    expect(
      readBulkCreate((await request(h.appOrigin).get(href!).set('x-test-admin', 'yes').expect(200)).text),
    ).to.have.length(2);
  });

  it('is for platform administrators only', async () => {
    await request(h.appOrigin).get(`${API}/connectors/${h.connector.id}/entra-bulk-create.csv`).expect(403);
  });
});
