import { expect } from 'chai';
import fs from 'node:fs';
import knexFactory from 'knex';
import { OPTION_DEFAULTS } from '../../lib/runtime/defaults.js';
import { resolveOptions, type ResolvedOptions } from '../../lib/runtime/options.js';
import { defaultLogger } from '../../lib/runtime/log.js';

const README = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's options table: option name (without its call signature) → the default column. */
function readmeOptions(): Map<string, string> {
  const start = README.indexOf('| option | default | meaning |');
  const table = README.slice(start, README.indexOf('\n\n', start));
  const rows = new Map<string, string>();
  for (const row of table.split('\n').slice(2)) {
    const [names, shown] = row.split(' | ');
    // `signIn(req, res, user)` / `signOut(req, res)` documents two options in one row.
    for (const name of names.matchAll(/`(\w+)(?:\([^`]*\))?`/g)) rows.set(name[1], shown.trim());
  }
  return rows;
}

describe('OPTION_DEFAULTS: the one documented defaults object of createIdentityConnector', () => {
  it("names exactly the options in the README's table, with the same defaults", () => {
    const documented = readmeOptions();
    expect([...documented.keys()].sort()).to.deep.equal(Object.keys(OPTION_DEFAULTS).sort());
    for (const [name, entry] of Object.entries(OPTION_DEFAULTS)) {
      expect(documented.get(name), name).to.equal(entry.shown);
      expect(entry.description, name).to.match(/\.$/);
    }
  });

  it('is what resolveOptions applies when the host leaves an option out', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    try {
      const resolved = resolveOptions(
        { knex, baseUrl: 'http://localhost:3000', mountPath: '/identity', secretKey: 's'.repeat(32) },
        defaultLogger,
      );
      for (const [name, entry] of Object.entries(OPTION_DEFAULTS)) {
        if (entry.value === undefined) continue;
        expect(resolved[name as keyof ResolvedOptions], name).to.deep.equal(entry.value);
      }
    } finally {
      await knex.destroy();
    }
  });
});
