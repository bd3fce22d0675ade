import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../lib/cli/commands.js';
import { PRESETS } from '../../lib/model/presets.js';
import { IdentityEvents } from '../../lib/model/events.js';
import { connectKnex } from '../../lib/store/connect.js';
import { IdentityStore } from '../../lib/store/index.js';
import { DEFAULT_TABLE_PREFIX } from '../../lib/store/tables.js';

describe('identity-connector CLI: connector create --preset, users export-entra', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-cli-preset-'));
  const saved = { ...process.env };
  before(async () => {
    process.env.DATABASE_URL = `sqlite:${path.join(dir, 'cli.sqlite')}`;
    process.env.IDENTITY_SECRET_KEY = 'cli-test-secret-key-0123456789abcdefghij';
    await run('migrate');
  });
  after(() => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it("creates a connector with the preset's settings, --settings applied over them", async () => {
    const created = await run(
      'connector',
      'create',
      '--org',
      'acme',
      '--name',
      'Staffbase',
      '--preset',
      'staffbase',
      '--settings',
      '{"deleteMode": "deactivate"}',
    );
    expect(created.code).to.equal(0);
    const [connector] = JSON.parse((await run('connector', 'list', '--json')).out);
    expect(connector.profile).to.equal('staffbase');
    expect(connector.settings).to.deep.include({ ...PRESETS.staffbase.settings, deleteMode: 'deactivate' });
  });

  it('users export-entra writes the Entra bulk-create CSV of the users not from Entra', async () => {
    const [connector] = JSON.parse((await run('connector', 'list', '--json')).out);
    const knex = connectKnex(String(process.env.DATABASE_URL));
    try {
      const store = new IdentityStore(knex, DEFAULT_TABLE_PREFIX, new IdentityEvents());
      await store.users.create(connector.id, {
        document: { userName: 'local@acme.test', active: true },
        loginMethod: 'builtin',
      });
      await store.users.create(connector.id, {
        document: { userName: 'entra@acme.test', externalId: 'oid-9', active: true },
        loginMethod: 'sso',
      });
    } finally {
      await knex.destroy();
    }
    const result = await run('users', 'export-entra', '--org', 'acme');
    expect(result.code).to.equal(0);
    const lines = result.out.split('\n');
    expect(lines[0]).to.equal('version:v1.0');
    expect(lines[1]).to.match(/^Name \[displayName\] Required,User name \[userPrincipalName\] Required,/);
    expect(lines.slice(2).map((l) => l.split(',')[1])).to.deep.equal(['local@acme.test']);
    expect(result.err).to.match(/^1 users; the file holds one-time initial passwords/);
    expect((await run('users', 'export-entra')).code).to.equal(2);
  });

  it('refuses an unknown preset, naming the known ones', async () => {
    const result = await run('connector', 'create', '--org', 'acme', '--name', 'Other', '--preset', 'nope');
    expect(result.code).to.equal(1);
    expect(result.err).to.match(/unknown preset "nope"; presets: systam, staffbase, ifs-ultimo/);
  });
});
