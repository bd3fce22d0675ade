import { expect } from 'chai';
import { PolicyRefusal } from '../../lib/model/errors.js';
import { newUserLoginMethod, ssoConfigured, ssoSwitchRefusal } from '../../lib/policy/login-method.js';
import { createPolicies } from '../../lib/policy/policies.js';
import { defaultLogger } from '../../lib/runtime/log.js';
import { DEFAULT_SETTINGS } from '../../lib/model/settings.js';
import { describeEachDatabase } from '../support/databases.js';
import { cliDatabase, type CliDatabase } from './cli-writes.js';

const oidc = (secret: boolean) => ({
  issuer: 'https://login.microsoftonline.com/t/v2.0',
  clientId: 'app',
  tenantId: 't',
  hasClientSecret: secret,
});

describe('Login-method decisions (policy/login-method.ts), made once', () => {
  it('SSO is configured with an issuer, a client id and a client secret, and only then the default of new users', () => {
    expect(ssoConfigured({ oidc: oidc(false) })).to.equal(false);
    expect(ssoConfigured({ oidc: oidc(true) })).to.equal(true);
    expect(newUserLoginMethod({ oidc: oidc(false), settings: DEFAULT_SETTINGS })).to.equal('builtin');
    expect(newUserLoginMethod({ oidc: oidc(true), settings: DEFAULT_SETTINGS })).to.equal('sso');
  });

  it('users may switch to SSO only once it is configured and one sign-in through Entra completed', () => {
    expect(ssoSwitchRefusal({ id: 'c', oidc: oidc(false), ssoVerifiedAt: new Date() })?.code).to.equal(
      'sso_not_configured',
    );
    expect(ssoSwitchRefusal({ id: 'c', oidc: oidc(true), ssoVerifiedAt: null }))
      .to.be.instanceOf(PolicyRefusal)
      .and.include({ code: 'sso_unverified', status: 409 });
    expect(ssoSwitchRefusal({ id: 'c', oidc: oidc(true), ssoVerifiedAt: new Date() })).to.equal(undefined);
  });
});

describeEachDatabase("The CLI's login-method switch takes the admin page's decision", (db) => {
  let cli: CliDatabase;
  before(async () => {
    cli = await cliDatabase(db);
  });
  after(async () => {
    await cli?.close();
  });

  it('refuses an unverified SSO (audited), and --force switches with one row saying it was forced; never without a secret', async () => {
    const policies = createPolicies(cli.store, defaultLogger());
    const connector = await policies.connectors.create({ organizationId: 'org-l', name: 'Switch' }, { actor: 'admin' });
    await cli.store.connectors.setOidc(connector.id, {
      issuer: 'https://login.microsoftonline.com/t/v2.0',
      clientId: 'app',
      tenantId: 't',
      clientSecretEncrypted: 'sealed',
    });
    const user = await cli.store.users.create(connector.id, {
      document: { userName: 'sam@contoso.com' },
      loginMethod: 'builtin',
    });
    const args = ['user', 'set-login-method', '--connector', connector.id, '--user', user.id];
    expect((await cli.run(...args, 'sso')).err).to.match(/nobody has signed in through Entra/);
    expect((await cli.run(...args, '--force', 'sso')).code).to.equal(0);
    const log = await cli.store.audit.list(connector.id, { operation: 'user.login-method', limit: 10 });
    expect(
      log.map((e) => [e.actor, e.outcome, JSON.parse(e.detail!).reason ?? JSON.parse(e.detail!).forced]),
    ).to.have.deep.members([
      ['cli', 'failure', 'sso_unverified'],
      ['cli', 'success', 'sso_unverified'],
    ]);
    const bare = await policies.connectors.create({ organizationId: 'org-l', name: 'No SSO' }, { actor: 'admin' });
    const pat = await cli.store.users.create(bare.id, {
      document: { userName: 'pat@contoso.com' },
      loginMethod: 'builtin',
    });
    const refused = await cli.run(
      'user',
      'set-login-method',
      '--connector',
      bare.id,
      '--user',
      pat.id,
      '--force',
      'sso',
    );
    expect(refused.code).to.equal(1);
    expect((await cli.store.users.get(bare.id, pat.id))!.loginMethod).to.equal('builtin');
  });
});
