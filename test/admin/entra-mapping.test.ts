import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { startHostHarness, type HostHarness } from '../support/host-harness.js';
import { adminClient, type AdminClient } from './admin-client.js';

const BADGES = 'urn:acme:params:scim:schemas:extension:badges:2.0:User';

/**
 * The Entra mapping sheet is generated from the connector's schemas and settings: what an admin
 * changes (an extension set, a host-defined attribute, a requirement) is on the sheet at once.
 */
describeEachDatabase('Admin API: the Entra mapping sheet', (db) => {
  let h: HostHarness;
  let admin: AdminClient;
  before(async () => {
    h = await startHostHarness(db);
    admin = await adminClient(h);
  });
  after(async () => {
    await h?.close();
  });

  const rows = async () =>
    (await admin.get(`/connectors/${h.connector.id}/entra-mapping`)).body.rows as Array<Record<string, unknown>>;

  it('lists userName (required) and every attribute of the custom extensions a default connector declares', async () => {
    const sheet = await rows();
    expect(sheet[0]).to.deep.include({ target: 'userName', required: 'yes', custom: false });
    expect(
      sheet.find((r) => r.target === 'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName:folders'),
    ).to.deep.include({ type: 'String', multiValued: true, custom: true });
    // The enterprise extension is in Entra's default attribute list: nothing to add.
    expect(sheet.some((r) => String(r.target).includes(':enterprise:'))).to.equal(false);
  });

  it('shows a host-defined attribute, a typed requirement and a primary rule as soon as the settings say so', async () => {
    const saved = await admin.put(`/connectors/${h.connector.id}/settings`, {
      extensions: [
        'enterprise',
        { id: BADGES, attributes: [{ name: 'badgeNumbers', type: 'integer', multiValued: true }] },
      ],
      requiredAttributes: [{ path: 'phoneNumbers[type eq "mobile"].value', ifSent: 'phoneNumbers' }],
      primaryByType: { phoneNumbers: 'mobile' },
    });
    expect(saved.status, saved.text).to.equal(200);
    const sheet = await rows();
    expect(sheet.map((r) => r.target)).to.deep.equal([
      'userName',
      'phoneNumbers[type eq "mobile"].value',
      `${BADGES}:badgeNumbers`,
    ]);
    expect(sheet[1]).to.deep.include({
      required: 'if phoneNumbers is mapped',
      notes: ['becomes the primary phone number value'],
    });
    expect(sheet[2]).to.deep.include({
      type: 'Integer',
      multiValued: true,
      custom: true,
      required: 'no',
      source: null,
    });
    const text = await admin.get(`/connectors/${h.connector.id}/entra-mapping.txt`);
    expect(text.headers['content-disposition']).to.match(/^attachment; filename="?entra-mapping-[0-9a-f-]+\.txt"?$/);
    expect(text.text.trimEnd().split('\n')).to.have.length(4);
  });

  it('is 404 for a connector that does not exist', async () => {
    expect((await admin.get('/connectors/00000000-0000-4000-8000-000000000000/entra-mapping')).status).to.equal(404);
  });
});
