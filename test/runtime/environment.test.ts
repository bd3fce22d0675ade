import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENVIRONMENT_VARIABLES, readEnvironment } from '../../lib/runtime/environment.js';

const README = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('readEnvironment: one reader for the CLI, serve, the knexfile and the demo', () => {
  it('applies each documented default when nothing is set', () => {
    const environment = readEnvironment({});
    expect(environment.databaseUrl).to.equal(ENVIRONMENT_VARIABLES.DATABASE_URL.default);
    expect(environment.databaseUrlGiven).to.equal(false);
    expect(environment.port).to.equal(3000);
    expect(environment.baseUrl).to.equal('http://localhost:3000');
    expect(environment.mountPath).to.equal('/identity');
    expect(environment.tablePrefix).to.equal(undefined);
    expect(environment.allowInsecureIssuer).to.equal(false);
    expect(environment.trustProxy).to.equal(false);
    expect(environment.demoMetrics).to.equal(true);
  });

  it('gives BASE_URL one default, following PORT, for serve and the CLI alike', () => {
    expect(readEnvironment({ PORT: '8080' }).baseUrl).to.equal('http://localhost:8080');
    expect(readEnvironment({ PORT: '8080', BASE_URL: 'https://app.example.com' }).baseUrl).to.equal(
      'https://app.example.com',
    );
  });

  it('reads the switches and the values as given', () => {
    const environment = readEnvironment({
      DATABASE_URL: 'mysql://root:@127.0.0.1:3306/x',
      IDENTITY_TABLE_PREFIX: 'p_',
      IDENTITY_ALLOW_INSECURE_ISSUER: 'yes',
      TRUST_PROXY: '1',
      MOUNT_PATH: '',
    });
    expect(environment).to.include({ databaseUrl: 'mysql://root:@127.0.0.1:3306/x', databaseUrlGiven: true });
    expect(environment).to.include({ tablePrefix: 'p_', allowInsecureIssuer: true, trustProxy: true, mountPath: '' });
    expect(readEnvironment({ TRUST_PROXY: 'on' }).trustProxy).to.equal(false);
    expect(readEnvironment({ DEMO_METRICS: 'false' }).demoMetrics).to.equal(false);
  });

  it('takes the secret key from IDENTITY_SECRET_KEY, else from its file, creating it only when asked', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-env-'));
    try {
      const file = path.join(dir, 'secret.key');
      expect(readEnvironment({ IDENTITY_SECRET_KEY: 'k'.repeat(40) }).secretKey({ create: false })).to.equal(
        'k'.repeat(40),
      );
      const environment = readEnvironment({ IDENTITY_SECRET_KEY_FILE: file });
      expect(environment.secretKey({ create: false })).to.equal(undefined);
      const created = environment.secretKey({ create: true });
      expect(created).to.have.length.above(32);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(environment.secretKey({ create: false })).to.equal(created);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives the CLI, the knexfile and the README's host one default database", () => {
    const fallback = ENVIRONMENT_VARIABLES.DATABASE_URL.default;
    expect(fallback).to.equal('sqlite:./data/app.sqlite');
    // The README host's own fallback, which its folder then shares with `npx identity-connector …`.
    expect(/connectKnex\(process\.env\.DATABASE_URL \?\? '([^']+)'\)/.exec(README)?.[1]).to.equal(fallback);
    expect(README).to.include(`Default \`${fallback}\``);
    expect(README).to.include(`the CLI says that it uses \`${fallback}\``);
  });

  it("lists in the README's table exactly the variables it reads (and LOG_LEVEL, the logger's)", () => {
    const table = README.slice(README.indexOf('| variable | read by | meaning |'));
    const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
    const documented = rows.map((row) => /^\| `([A-Z_]+)`/.exec(row)?.[1]);
    expect(documented.filter((name) => name !== 'LOG_LEVEL').sort()).to.deep.equal(
      Object.keys(ENVIRONMENT_VARIABLES).sort(),
    );
  });
});
