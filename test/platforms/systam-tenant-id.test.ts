import { expect } from 'chai';
import request from 'supertest';
import { configureOidc } from '../../lib/sso/configure.js';
import type { Connector } from '../../lib/model/types.js';
import { adminClient, type AdminClient } from '../admin/admin-client.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import {
  MOUNT,
  OTHER_TENANT,
  RP_CLIENT_ID,
  RP_CLIENT_SECRET,
  TENANT,
  startHostHarness,
  type HostHarness,
} from '../support/host-harness.js';
import { expectRefused } from '../sso/refusal-helpers.js';

/**
 * Systam (000), "Step 2: Prepare in Systam Studio": "Copy the values shown in Studio for Tenant URL
 * and Secret Token … You can also enter your organization's Tenant ID if you want. This helps with
 * troubleshooting." The tenant id is stored on its own, without OpenID Connect, shown to the admin
 * beside the Tenant URL, and once set every sign-in token's `tid` must be that tenant.
 */
describeEachDatabase('Systam: the optional Entra tenant ID', (db) => {
  let h: HostHarness;
  let admin: AdminClient;
  let connector: Connector;
  before(async () => {
    h = await startHostHarness(db);
    admin = await adminClient(h);
    connector = (
      await admin.post('/connectors', { organizationId: 'org-systam', name: 'Systam Studio', preset: 'systam' })
    ).body as Connector;
  });
  after(async () => {
    await h?.close();
  });

  const page = () =>
    request(h.appOrigin)
      .get(`${MOUNT}/admin/connectors/${connector.id}`)
      .set('x-test-admin', 'yes')
      .set('Accept', 'text/html');

  it('is stored alone, without sign-in configured, shown on the admin page and audited', async () => {
    const saved = await admin.put(`/connectors/${connector.id}/tenant`, { tenantId: ` ${TENANT.toUpperCase()} ` });
    expect(saved.status).to.equal(200);
    expect(saved.body.oidc).to.deep.equal({ issuer: null, clientId: null, tenantId: TENANT, hasClientSecret: false });
    const html = (await page().expect(200)).text;
    expect(html).to.match(new RegExp(`id="entra-tenant" name="tenantId" type="text" value="${TENANT}"`));
    expect(html).to.include(`data-api-path="/connectors/${connector.id}/tenant"`);
    const [entry] = await h.store.audit.list(connector.id, { operation: 'connector.tenant', limit: 1 });
    expect(JSON.parse(entry.detail!)).to.deep.include({ tenantId: { from: null, to: TENANT }, by: 'admin-1' });
  });

  it('refuses a value that is not a tenant GUID (400, naming the field), keeping the stored one', async () => {
    const refused = await admin.put(`/connectors/${connector.id}/tenant`, { tenantId: 'contoso.onmicrosoft.com' });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include({ error: 'invalid_oidc_settings', field: 'tenantId' });
    expect((await admin.get(`/connectors/${connector.id}`)).body.oidc.tenantId).to.equal(TENANT);
  });

  it("once set, is checked against the sign-in token's tid when sign-in is configured later", async () => {
    // The sign-in settings name no tenant: the one stored alone stays.
    ({ connector } = await configureOidc(h.runtime, connector.id, {
      issuer: h.provider.issuer,
      clientId: RP_CLIENT_ID,
      clientSecret: RP_CLIENT_SECRET,
    }));
    expect(connector.oidc.tenantId).to.equal(TENANT);
    const loginUrl = h.url(`${MOUNT}/sso/login?connector=${connector.id}`);

    const host = await h.person({ provision: { connectorId: connector.id } });
    const signedIn = await h.signIn(new TestBrowser(), loginUrl, host.login);
    expect(signedIn.body).to.include(`Signed in as <strong id="signed-in-user">${host.login}</strong>`);

    const stranger = await h.person({ claims: { tid: OTHER_TENANT }, provision: { connectorId: connector.id } });
    const browser = new TestBrowser();
    await expectRefused(h, browser, await h.signIn(browser, loginUrl, stranger.login), 'tenant_mismatch');
  });

  it('can be cleared (null or empty) when the issuer does not need it; an Entra issuer fixes its tenant', async () => {
    expect((await admin.put(`/connectors/${connector.id}/tenant`, { tenantId: '' })).body.oidc.tenantId).to.equal(null);
    const other = (
      await admin.post('/connectors', { organizationId: 'org-systam', name: 'Systam (Entra issuer)', preset: 'systam' })
    ).body as Connector;
    await configureOidc(h.runtime, other.id, {
      tenantId: TENANT,
      clientId: RP_CLIENT_ID,
      clientSecret: RP_CLIENT_SECRET,
    });
    const contradicting = await admin.put(`/connectors/${other.id}/tenant`, { tenantId: OTHER_TENANT });
    expect(contradicting.status).to.equal(400);
    expect(contradicting.body.message).to.match(/issuer names tenant/);
    expect((await admin.put(`/connectors/${other.id}/tenant`, { tenantId: null })).status).to.equal(400);
  });

  it('is answered 404 for a connector that does not exist', async () => {
    const missing = await admin.put('/connectors/00000000-0000-4000-8000-000000000000/tenant', { tenantId: TENANT });
    expect(missing.status).to.equal(404);
  });
});
