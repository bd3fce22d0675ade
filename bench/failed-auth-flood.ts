/**
 * `npx tsx bench/failed-auth-flood.ts [DATABASE_URL]`: what 1,000 wrong-token attempts at one
 * connector's own endpoint, from 50 addresses, cost the database: counter-store statements (after
 * every 200 attempts), counter rows and audit rows at the window's end.
 */
import express from 'express';
import supertest from 'supertest';
import { createIdentityConnector } from '../lib/index.js';
import { connectKnex } from '../lib/store/connect.js';

const knex = connectKnex(process.argv[2] ?? 'sqlite::memory:');
const identity = await createIdentityConnector({
  knex,
  baseUrl: 'http://127.0.0.1',
  mountPath: '/identity',
  secretKey: 'x'.repeat(40),
  tablePrefix: `fa${Date.now().toString(36)}_`,
});
await identity.migrate();
await identity.store.connectors.create({
  organizationId: 'org-1',
  name: 'Advisors',
  settings: { scimEndpoint: 'advisors' },
});
let statements = 0;
const c = identity.store.counters;
const inc = c.increment.bind(c);
c.increment = (...a) => {
  statements += 1;
  return inc(...a);
};
const app = express();
app.set('trust proxy', true);
app.use('/identity', identity.router);
const http = supertest(app);
const marks: Record<number, number> = {};
for (let batch = 0; batch < 50; batch += 1) {
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      http
        .get('/identity/advisors/scim/Users')
        .set('X-Forwarded-For', `203.0.113.${(batch * 20 + i) % 50}`)
        .set('Authorization', `Bearer wrong-${batch}-${i}`),
    ),
  );
  if ((batch + 1) % 10 === 0) marks[(batch + 1) * 20] = statements;
}
const rows = await knex(identity.store.tables.rateCounters).count({ n: '*' }).first();
await identity.close();
const audit = await knex(identity.store.tables.auditEvents)
  .where({ operation: 'scim.authentication_failed' })
  .count({ n: '*' })
  .first();
console.log(JSON.stringify({ counterStatementsAfterAttempts: marks, counterRows: rows, auditRows: audit }));
await identity.store.rollbackAll();
await knex.destroy();
