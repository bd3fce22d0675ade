import { expect } from 'chai';
import { createRuntime } from '../../lib/web/runtime.js';
import { IdentityConnectorError, NotFound } from '../../lib/model/errors.js';
import { configureOidc, OidcSettingsError, redirectUri } from '../../lib/sso/configure.js';
import type { Connector } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import {
  locationOf,
  MOUNT,
  RP_CLIENT_ID,
  RP_CLIENT_SECRET,
  startHostHarness,
  TENANT,
  type HostHarness,
} from '../support/host-harness.js';

const GUID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SECRET = 'Xy7~entra-client-secret-value.0123456789';

describeEachDatabase("Configuring a connector's OpenID Connect settings (configureOidc)", (db) => {
  let h: HostHarness;
  let connector: Connector;
  before(async () => {
    h = await startHostHarness(db);
  });
  beforeEach(async () => {
    connector = await h.store.connectors.create({
      organizationId: 'org-config',
      name: `c-${Math.random().toString(36).slice(2)}`,
    });
  });
  after(async () => {
    await h?.close();
  });

  const configure = (input: Parameters<typeof configureOidc>[2]) => configureOidc(h.runtime, connector.id, input);
  const rejects = async (input: Parameters<typeof configureOidc>[2], field: string, message: RegExp) => {
    const error = await configure(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'expected an OidcSettingsError').to.be.instanceOf(OidcSettingsError);
    expect((error as OidcSettingsError).field).to.equal(field);
    expect((error as Error).message).to.match(message);
  };

  describe('the issuer and the tenant', () => {
    it('derives the v2.0 issuer from the tenant id alone', async () => {
      const { connector: saved } = await configure({
        tenantId: GUID.toUpperCase(),
        clientId: 'app-id',
        clientSecret: SECRET,
      });
      expect(saved.oidc).to.deep.equal({
        issuer: `https://login.microsoftonline.com/${GUID}/v2.0`,
        tenantId: GUID,
        clientId: 'app-id',
        hasClientSecret: true,
      });
    });

    for (const issuer of [
      `https://login.microsoftonline.com/${GUID}/v2.0`,
      `https://login.microsoftonline.com/${GUID}`,
      `https://login.microsoftonline.com/${GUID}/v2.0/`,
    ]) {
      it(`derives the tenant id from the Entra authority ${issuer.replace(GUID, '{tenant}')}`, async () => {
        const { connector: saved } = await configure({ issuer, clientId: 'app-id', clientSecret: SECRET });
        expect(saved.oidc).to.include({ issuer: `https://login.microsoftonline.com/${GUID}/v2.0`, tenantId: GUID });
      });
    }

    it('requires the tenant id with a common or organizations issuer, which accept every tenant', async () => {
      await rejects(
        { issuer: 'https://login.microsoftonline.com/common/v2.0', clientId: 'a', clientSecret: SECRET },
        'tenantId',
        /common.*tenantId/,
      );
      const { connector: saved } = await configure({
        issuer: 'https://login.microsoftonline.com/organizations/v2.0',
        tenantId: GUID,
        clientId: 'a',
        clientSecret: SECRET,
      });
      expect(saved.oidc).to.include({ issuer: 'https://login.microsoftonline.com/organizations/v2.0', tenantId: GUID });
    });

    it('refuses a tenant id that contradicts the issuer', async () => {
      await rejects(
        {
          issuer: `https://login.microsoftonline.com/${GUID}/v2.0`,
          tenantId: TENANT,
          clientId: 'a',
          clientSecret: SECRET,
        },
        'tenantId',
        /differs/,
      );
    });

    it('refuses a tenant id that is not a GUID', async () => {
      await rejects({ tenantId: 'contoso.onmicrosoft.com', clientId: 'a', clientSecret: SECRET }, 'tenantId', /GUID/);
    });

    it('refuses an endpoint URL given instead of the authority', async () => {
      await rejects(
        {
          issuer: `https://login.microsoftonline.com/${GUID}/oauth2/v2.0/authorize`,
          clientId: 'a',
          clientSecret: SECRET,
        },
        'issuer',
        /not an Entra authority/,
      );
    });

    it('refuses neither issuer nor tenant', async () => {
      await rejects({ clientId: 'a', clientSecret: SECRET }, 'issuer', /issuer URL or the tenant id/);
    });

    it('refuses an http:// issuer unless allowInsecureIssuer is on', async () => {
      const strict = createRuntime(h.store, { ...h.runtime.options, allowInsecureIssuer: false });
      const error = await configureOidc(strict, connector.id, {
        issuer: 'http://idp.example',
        clientId: 'a',
        clientSecret: SECRET,
      }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(OidcSettingsError);
      expect((error as Error).message).to.match(/https/);
    });

    it('accepts an http:// issuer with allowInsecureIssuer, and says so loudly in the log', async () => {
      await configure({ issuer: 'http://127.0.0.1:9/', clientId: 'a', clientSecret: SECRET });
      const warning = h.logs
        .map((l) => JSON.parse(l))
        .reverse()
        .find((l) => l.level === 'warn' && /INSECURE/.test(l.message));
      expect(warning).to.be.an('object');
    });
  });

  describe('the client secret', () => {
    it('is required the first time', async () => {
      await rejects({ tenantId: GUID, clientId: 'a' }, 'clientSecret', /required/);
    });

    it('is stored encrypted, and kept when omitted later', async () => {
      await configure({ tenantId: GUID, clientId: 'a', clientSecret: SECRET });
      const sealed = await h.store.connectors.encryptedClientSecret(connector.id);
      expect(sealed).to.be.a('string').and.not.include(SECRET);
      expect(h.runtime.secrets.decrypt(sealed!)).to.equal(SECRET);
      const { connector: saved } = await configure({ tenantId: GUID, clientId: 'b' });
      expect(saved.oidc).to.include({ clientId: 'b', hasClientSecret: true });
      expect(await h.store.connectors.encryptedClientSecret(connector.id)).to.equal(sealed);
    });

    it('is never returned, logged or audited', async () => {
      const result = await configure({ tenantId: GUID, clientId: 'a', clientSecret: SECRET });
      expect(JSON.stringify(result)).to.not.include(SECRET);
      expect(h.logs.join('\n')).to.not.include(SECRET);
      const audit = await h.store.audit.list(connector.id, { operation: 'oidc.configure' });
      expect(audit).to.have.length(1);
      expect(JSON.stringify(audit)).to.not.include(SECRET);
      expect(JSON.parse(audit[0].detail!)).to.include({ clientSecretChanged: true });
    });
  });

  it('returns the exact redirect URI to register in Entra', async () => {
    const { redirectUri: uri } = await configure({ tenantId: GUID, clientId: 'a', clientSecret: SECRET });
    expect(uri).to.equal(`${h.appOrigin}${MOUNT}/sso/callback`);
    expect(redirectUri({ baseUrl: 'https://app.example.com', mountPath: '' })).to.equal(
      'https://app.example.com/sso/callback',
    );
  });

  it('refuses an unknown connector as NotFound (404), a member of the error family', async () => {
    const error = await configureOidc(h.runtime, 'no-such-connector', {
      tenantId: GUID,
      clientId: 'a',
      clientSecret: SECRET,
    }).catch((e: unknown) => e);
    expect(error)
      .to.be.instanceOf(NotFound)
      .and.instanceOf(IdentityConnectorError)
      .and.include({ status: 404, code: 'not_found' });
  });
});

describeEachDatabase('Caching OIDC discovery per connector', (db) => {
  let h: HostHarness;
  const TTL = 300;
  before(async () => {
    h = await startHostHarness(db, { discoveryTtlMs: TTL });
  });
  after(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.runtime.discovery.invalidate();
    h.provider.failDiscovery = false;
  });

  const start = async () => new TestBrowser().request(h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`));
  const connectorNow = async () => (await h.store.connectors.get(h.connector.id))!;

  it('fetches the discovery document once per TTL, however many sign-ins start', async () => {
    const before = h.provider.discoveryRequests;
    await Promise.all([start(), start(), start()]);
    await start();
    expect(h.provider.discoveryRequests - before).to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, TTL + 50));
    await start();
    expect(h.provider.discoveryRequests - before).to.equal(2);
  });

  it("discovers again as soon as the connector's OIDC settings change", async () => {
    await start();
    const before = h.provider.discoveryRequests;
    await configureOidc(h.runtime, h.connector.id, {
      issuer: h.provider.issuer,
      tenantId: TENANT,
      clientId: RP_CLIENT_ID,
      clientSecret: RP_CLIENT_SECRET,
    });
    await start();
    expect(h.provider.discoveryRequests - before).to.equal(1);
  });

  it('notices a change made by another process (the connector row changed) without waiting for the TTL', async () => {
    const cache = h.runtime.discovery;
    const first = await cache.get(await connectorNow());
    await new Promise((resolve) => setTimeout(resolve, 5));
    await h.store.connectors.setOidc(h.connector.id, {
      issuer: h.provider.issuer,
      clientId: RP_CLIENT_ID,
      tenantId: TENANT,
    });
    expect(await cache.get(await connectorNow())).to.not.equal(first);
  });

  it('keeps serving the last configuration when a refresh fails, and logs it', async () => {
    await start();
    h.provider.failDiscovery = true;
    await new Promise((resolve) => setTimeout(resolve, TTL + 50));
    const page = await start();
    expect(page.status).to.equal(302);
    expect(locationOf(page)).to.match(new RegExp(`^${h.provider.origin}/auth\\?`));
    expect(h.logs.some((l) => l.includes('oidc discovery refresh failed'))).to.equal(true);
  });

  it('shows a clear page (502) when the provider cannot be discovered at all', async () => {
    h.provider.failDiscovery = true;
    const page = await start();
    expect(page.status).to.equal(502);
    expect(page.body).to.include('provider_unavailable');
  });
});

describeEachDatabase('Telling a misconfigured connector apart from a failed sign-in', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });
  afterEach(async () => {
    await configureOidc(h.runtime, h.connector.id, {
      issuer: h.provider.issuer,
      tenantId: TENANT,
      clientId: RP_CLIENT_ID,
      clientSecret: RP_CLIENT_SECRET,
    });
  });

  it('answers 502 client_rejected when Entra refuses the client secret', async () => {
    await configureOidc(h.runtime, h.connector.id, {
      issuer: h.provider.issuer,
      tenantId: TENANT,
      clientId: RP_CLIENT_ID,
      clientSecret: 'an-expired-secret',
    });
    const alice = await h.person();
    const page = await h.signIn(
      new TestBrowser(),
      h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`),
      alice.login,
    );
    expect(page.status).to.equal(502);
    expect(page.body).to.include('client_rejected');
    expect(h.loginEvents.failed.at(-1)?.reason).to.equal('client_rejected');
  });

  it('answers 403 sso_not_configured when the stored secret cannot be decrypted (secretKey changed), and logs why', async () => {
    await h.store.connectors.setOidc(h.connector.id, {
      issuer: h.provider.issuer,
      tenantId: TENANT,
      clientId: RP_CLIENT_ID,
      clientSecretEncrypted: 'v1.AAAA.AAAA.AAAA',
    });
    const page = await new TestBrowser().request(h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`));
    expect(page.status).to.equal(403);
    expect(page.body).to.include('sso_not_configured');
    expect(h.logs.some((l) => l.includes('cannot be decrypted with the current secretKey'))).to.equal(true);
  });

  it('answers 403 sso_not_configured for a connector without OpenID Connect settings', async () => {
    const bare = await h.store.connectors.create({ organizationId: 'org-bare', name: 'bare' });
    const page = await new TestBrowser().request(h.url(`${MOUNT}/sso/login?connector=${bare.id}`));
    expect(page.status).to.equal(403);
    expect(page.body).to.include('sso_not_configured');
  });
});
