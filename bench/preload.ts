/**
 * `--preload N`: N more users written straight into a bench database before the timed phases
 * (the bench only; the product never writes users this way). They are Entra's users numbered
 * after the scenario's own, normalised as a create would store them, with the same search
 * projection (columns and child rows), in transactions of 1,000 users: 100,000 users take
 * seconds to tens of seconds instead of the minutes 200,000 HTTP requests would.
 */
import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { documentRules, DEFAULT_SETTINGS } from '../lib/model/settings.js';
import { userRegistryFor } from '../lib/model/schemas/extension-sets.js';
import { normalizeResource } from '../lib/model/validate/normalize.js';
import { projectUser } from '../lib/store/project-user.js';
import { connectKnex } from '../lib/store/connect.js';
import { DEFAULT_TABLE_PREFIX, tableNames, type TableNames } from '../lib/store/tables.js';
import { userDocument } from './scenario.js';

const BATCH = 1000;
/** Rows per INSERT: under SQLite's and MySQL's placeholder limits for every child table. */
const ROWS_PER_INSERT = 200;

export async function preloadUsers(
  knex: Knex,
  t: TableNames,
  connectorId: string,
  from: number,
  count: number,
  seed: number,
  log: (line: string) => void = () => {},
): Promise<void> {
  const registry = userRegistryFor(DEFAULT_SETTINGS);
  const rules = documentRules(DEFAULT_SETTINGS);
  // Older than anything the scenario creates: the scenario's users stay at the end of the creation order.
  const start = Date.now() - count - 1000;
  for (let batch = from; batch < from + count; batch += BATCH) {
    const users: Record<string, unknown>[] = [];
    const children: Record<string, Record<string, unknown>[]> = {
      [t.userValues]: [],
      [t.userAddresses]: [],
      [t.userExtensions]: [],
    };
    for (let i = batch; i < Math.min(batch + BATCH, from + count); i++) {
      const document = normalizeResource(registry, userDocument(i, seed), { mode: 'create', ...rules });
      const p = projectUser(document);
      const id = uuidv7();
      const at = start + (i - from);
      users.push({
        id,
        connector_id: connectorId,
        ...p.columns,
        active: p.columns.active ? 1 : 0,
        login_method: 'sso',
        protected: 0,
        version: 1,
        document: JSON.stringify(document),
        created_at: at,
        updated_at: at,
      });
      const owner = { user_id: id, connector_id: connectorId };
      children[t.userValues].push(...p.values.map((r) => ({ ...r, ...owner, is_primary: r.is_primary ? 1 : 0 })));
      children[t.userAddresses].push(...p.addresses.map((r) => ({ ...r, ...owner, is_primary: r.is_primary ? 1 : 0 })));
      children[t.userExtensions].push(...p.extensions.map((r) => ({ ...r, ...owner })));
    }
    await knex.transaction(async (trx) => {
      for (let k = 0; k < users.length; k += ROWS_PER_INSERT)
        await trx(t.users).insert(users.slice(k, k + ROWS_PER_INSERT));
      for (const [table, rows] of Object.entries(children)) {
        for (let k = 0; k < rows.length; k += ROWS_PER_INSERT)
          await trx(table).insert(rows.slice(k, k + ROWS_PER_INSERT));
      }
    });
    if ((batch - from) % 20_000 === 0) log(`[bench] preloaded ${batch - from + users.length} of ${count} users`);
  }
}

/**
 * Preloads users into the demo host's connector ("Entra ID" of demo-org, which the demo creates at
 * start) in the database at `databaseUrl`, through a Knex instance of its own.
 */
export async function preloadDemoUsers(
  databaseUrl: string,
  from: number,
  count: number,
  seed: number,
  log: (line: string) => void = () => {},
): Promise<void> {
  const knex = connectKnex(databaseUrl);
  try {
    const t = tableNames(DEFAULT_TABLE_PREFIX);
    const connector = await knex(t.connectors)
      .select('id')
      .where({ organization_id: 'demo-org', name: 'Entra ID' })
      .first();
    await preloadUsers(knex, t, connector.id, from, count, seed, log);
  } finally {
    await knex.destroy();
  }
}
