import { expect } from 'chai';
import request from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

const PAGE = `${MOUNT}/admin`;
const EVIL = '<img src=x onerror="alert(1)">';

/** The server-rendered page without a browser: who sees it, its headers, and that it escapes. The browser test drives it. */
describeEachDatabase('Admin page (HTML)', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  const asAdmin = (path: string) =>
    request(h.appOrigin).get(path).set('x-test-admin', 'yes').set('Accept', 'text/html');

  it('answers an HTML 403 page, not the page, to anyone authorizeAdmin refuses', async () => {
    for (const path of [PAGE, `${PAGE}/connectors/${h.connector.id}`]) {
      const response = await request(h.appOrigin).get(path).set('Accept', 'text/html');
      expect(response.status, path).to.equal(403);
      expect(response.type).to.equal('text/html');
      // Sign in goes through home-realm discovery and comes back to the page asked for.
      expect(response.text)
        .to.include('Administrators only')
        .and.include(`href="${MOUNT}/sso/signin?returnTo=${encodeURIComponent(path)}"`);
      // Only the path the browser asked for (in returnTo) names the connector.
      expect(response.text.replace(encodeURIComponent(path), '')).to.not.include(h.connector.id);
    }
  });

  it('serves the page under a CSP whose nonce is fresh per response and is the only way scripts and styles run', async () => {
    const [first, second] = [await asAdmin(PAGE), await asAdmin(PAGE)];
    expect(first.status).to.equal(200);
    const csp = first.headers['content-security-policy'];
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
    expect(csp)
      .to.include(`style-src 'nonce-${nonce}'`)
      .and.include("default-src 'none'")
      .and.include("frame-ancestors 'none'")
      .and.include("connect-src 'self'");
    expect(second.headers['content-security-policy']).to.not.equal(csp);
    expect(first.text.match(/<(script|style)\b[^>]*>/g)).to.deep.equal([
      `<style nonce="${nonce}">`,
      `<script nonce="${nonce}">`,
    ]);
    expect(first.text).to.not.match(/\son[a-z]+=/i); // no inline handlers: the CSP would block them
    expect(first.headers['cache-control']).to.equal('no-store');
    expect(first.headers['x-frame-options']).to.equal('DENY');
  });

  it("shows a connector's SCIM URL, redirect URI, tokens, OIDC settings, users and log; escapes everything", async () => {
    const c = await h.store.connectors.create({
      organizationId: `org ${EVIL}`,
      name: `Name ${EVIL}`,
      settings: { roleMap: { [`</textarea>${EVIL}`]: 'User' } },
    });
    await h.store.groups.create(c.id, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: `Group ${EVIL}`,
    });
    await h.provision({ connectorId: c.id, userName: 'eve@evil.example', displayName: `Eve ${EVIL}` });
    const { record } = await h.store.tokens.create(c.id, { label: `Label ${EVIL}` });
    const response = await asAdmin(`${PAGE}/connectors/${c.id}`);
    expect(response.status).to.equal(200);
    expect(response.text).to.not.include(EVIL);
    expect(response.text).to.include('Name &lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(response.text).to.include(`value="${h.appOrigin}${MOUNT}/scim/v2"`).and.include(`value="${h.callbackUrl}"`);
    expect(response.text)
      .to.include(`data-token-id="${record.id}"`)
      .and.include('Switch to built-in login')
      .and.include('eve@evil.example');
    expect(response.text).to.include('<nav aria-label="Connectors">');
  });

  it("shows the Entra mapping sheet with a Copy button per target, the guide's steps on this page, and the sync note (Systam)", async () => {
    const c = await h.store.connectors.create({ organizationId: 'org-systam', name: 'Systam', preset: 'systam' });
    const page = (await asAdmin(`${PAGE}/connectors/${c.id}`)).text;
    const target = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User:primaryWorkspace';
    expect(page).to.include(`data-action="copy" data-text="${target}" aria-label="Copy ${target}"`);
    expect(page).to.include('emails[type eq &quot;work&quot;].value').and.include('if phoneNumbers is mapped');
    expect(page).to.include(`href="${MOUNT}/admin/api/connectors/${c.id}/entra-mapping.txt" download`);
    expect(page).to.include('Users section: Protect each Organization Owner');
    expect(page).to.include('Changing to Primary workspaces does not remove users from their other workspaces');
  });

  it('gives the settings forms (role map, attribute rules, extensions, JSON) to who may change settings only', async () => {
    const forms = [
      'data-setting="roleMap"',
      'data-setting="requiredAttributes"',
      'data-setting="extensions"',
      'id="settings-json"',
    ];
    const full = (await asAdmin(`${PAGE}/connectors/${h.connector.id}`)).text;
    for (const form of forms) expect(full).to.include(form);
    // Web role Admin: users, login methods and the log; no settings on the page, and the API refuses them.
    const usersOnly = (path: string) =>
      request(h.appOrigin).get(path).set('x-test-org', h.connector.organizationId).set('x-test-manages', 'users');
    const page = await usersOnly(`${PAGE}/connectors/${h.connector.id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('id="users-title"');
    for (const form of forms) expect(page.text).to.not.include(form);
    const write = await request(h.appOrigin)
      .put(`${MOUNT}/admin/api/connectors/${h.connector.id}/settings`)
      .set('x-test-org', h.connector.organizationId)
      .set('x-test-manages', 'users')
      .send({ roleMap: { Boss: 'EnterpriseAdmin' } });
    expect(write.status).to.equal(403);
    expect(write.body.error).to.equal('forbidden');
    expect((await h.store.connectors.get(h.connector.id))!.settings.roleMap).to.not.have.property('Boss');
  });

  it('never puts the OIDC client secret (or its encrypted form) in the page', async () => {
    const response = await asAdmin(`${PAGE}/connectors/${h.connector.id}`);
    expect(response.text).to.include('A secret is stored');
    expect(response.text).to.not.include((await h.store.connectors.encryptedClientSecret(h.connector.id))!);
  });

  it('answers an unknown connector with an HTML 404 page', async () => {
    const response = await asAdmin(`${PAGE}/connectors/nope`);
    expect(response.status).to.equal(404);
    expect(response.text).to.include('No such connector');
  });

  it('says whether SSO has worked yet, with a Sign in with Microsoft link that proves it and comes back', async () => {
    const before = await asAdmin(`${PAGE}/connectors/${h.connector.id}`);
    expect(before.text).to.include('Not yet shown to work');
    const href = /<a href="([^"]+)">Sign in with Microsoft now<\/a>/.exec(before.text)![1].replaceAll('&amp;', '&');
    const someone = await h.person();
    const page = await h.signIn(new TestBrowser(), h.url(href), someone.login);
    expect(page.url).to.equal(h.url(`${PAGE}/connectors/${h.connector.id}`));
    const after = await asAdmin(`${PAGE}/connectors/${h.connector.id}`);
    expect(after.text)
      .to.include('<span class="badge live">Working</span>')
      .and.not.include('Sign in with Microsoft now');
  });
});
