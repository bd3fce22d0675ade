import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { locationOf, MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

describeEachDatabase('Signing out (/sso/logout)', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  async function signedInBrowser(): Promise<TestBrowser> {
    const alice = await h.person();
    const browser = new TestBrowser();
    const page = await h.signIn(browser, h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), alice.login);
    expect(page.body).to.include('signed-in-user');
    return browser;
  }

  it("ends the host session and continues to Entra's end-session endpoint with post_logout_redirect_uri = baseUrl/", async () => {
    const browser = await signedInBrowser();
    const page = await browser.request(h.url(`${MOUNT}/sso/logout`));
    expect(page.status).to.equal(303);
    const endSession = new URL(locationOf(page));
    expect(`${endSession.origin}${endSession.pathname}`).to.equal(`${h.provider.origin}/session/end`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).to.equal(`${h.appOrigin}/`);
    expect(endSession.searchParams.get('client_id')).to.equal('rp-client');
    expect((await browser.request(h.url('/'))).body).to.include('Not signed in');
    expect(browser.cookies.find((c) => c.name === 'idc_sso_connector')).to.equal(undefined);
  });

  it('accepts POST too', async () => {
    const browser = await signedInBrowser();
    const page = await browser.request(h.url(`${MOUNT}/sso/logout`), { method: 'POST', form: {} });
    expect(page.status).to.equal(303);
    expect(locationOf(page)).to.match(new RegExp(`^${h.provider.origin}/session/end\\?`));
  });

  it('takes the connector from ?connector= when the browser has no remembered one', async () => {
    const page = await new TestBrowser().request(h.url(`${MOUNT}/sso/logout?connector=${h.connector.id}`));
    expect(locationOf(page)).to.match(new RegExp(`^${h.provider.origin}/session/end\\?`));
  });

  it('redirects to / when the connector is unknown', async () => {
    const page = await new TestBrowser().request(h.url(`${MOUNT}/sso/logout`));
    expect(page.status).to.equal(303);
    expect(page.headers.get('location')).to.equal('/');
  });

  it('ignores a forged connector cookie', async () => {
    const browser = new TestBrowser();
    browser.cookies.push({
      host: new URL(h.appOrigin).host,
      name: 'idc_sso_connector',
      value: `sso-connector%3A${h.connector.id}.forged`,
      path: `${MOUNT}/sso/logout`,
    });
    const page = await browser.request(h.url(`${MOUNT}/sso/logout`));
    expect(page.headers.get('location')).to.equal('/');
  });
});
