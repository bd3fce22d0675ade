import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../lib/cli/commands.js';

describe('identity-connector CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-cli-'));
  const saved = { ...process.env };
  before(() => {
    process.env.DATABASE_URL = `sqlite:${path.join(dir, 'cli.sqlite')}`;
    process.env.IDENTITY_SECRET_KEY = 'cli-test-secret-key-0123456789abcdefghij';
  });
  after(() => { process.env = saved; fs.rmSync(dir, { recursive: true, force: true }); });

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  let connectorId: string;
  it('migrate applies the migrations, then says it is up to date', async () => {
    expect((await run('migrate')).out).to.match(/applied 20261123000000_identity_schema/);
    expect((await run('migrate')).out).to.match(/already up to date/);
  });
  it('connector create, then connector list --json for scripts', async () => {
    const created = await run('connector', 'create', '--org', 'acme', '--name', 'Entra ID');
    expect(created.code).to.equal(0);
    const list = JSON.parse((await run('connector', 'list', '--json')).out);
    expect(list).to.have.length(1);
    expect(list[0]).to.include({ organizationId: 'acme', name: 'Entra ID' });
    connectorId = list[0].id;
  });
  it('token create prints the token once on stdout; token list shows only its prefix', async () => {
    const created = await run('token', 'create', '--connector', connectorId, '--label', 'entra');
    expect(created.code).to.equal(0);
    expect(created.out).to.match(/^idc_[A-Za-z0-9_-]{43}$/);
    const listed = await run('token', 'list');
    expect(listed.out).to.include(created.out.slice(0, 8)).and.not.include(created.out);
    const id = listed.out.split(/\s+/)[0];
    expect((await run('token', 'revoke', id)).out).to.equal(`revoked token ${id}`);
    expect((await run('token', 'list')).out).to.include('revoked');
  });
  it('connector settings changes a setting and refuses an unknown one', async () => {
    expect((await run('connector', 'settings', '--connector', connectorId, '--set', '{"groupsEnabled": false}')).code).to.equal(0);
    const bad = await run('connector', 'settings', '--connector', connectorId, '--set', '{"nope": 1}');
    expect(bad.code).to.equal(1);
    expect(bad.err).to.match(/unknown setting "nope"/);
  });
  for (const [name, argv, message] of [
    ['no command', [], /Usage: identity-connector/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['a missing required option', ['connector', 'create', '--org', 'x'], /--name is required/],
    ['an unknown option', ['connector', 'list', '--colour'], /Unknown option '--colour'/],
    ['a token for a missing connector', ['token', 'create', '--connector', 'nope'], /connector nope not found/],
  ] as const) {
    it(`answers ${name} with a message and a non-zero exit`, async () => {
      const result = await run(...argv);
      expect(result.code).to.be.greaterThan(0);
      expect(result.err).to.match(message);
    });
  }
});
