/**
 * A host that mounts the library and stops as the README says (`stopGracefully` with
 * `identity.close()` then `knex.destroy()`), for test/web/shutdown.test.ts. Prints
 * `ready <token>` once listening, and what is left in the Knex pool after it is destroyed.
 */
import express from 'express';
import { connectKnex, createIdentityConnector, stopGracefully } from '../../lib/index.js';

const knex = connectKnex(process.env.DATABASE_URL!);
const identity = await createIdentityConnector({
  knex,
  baseUrl: 'http://127.0.0.1',
  mountPath: '/identity',
  secretKey: 'shutdown-test-secret-key-0123456789abcdef',
  tablePrefix: process.env.TABLE_PREFIX,
});
await identity.migrate();
const connector = await identity.store.connectors.create({ organizationId: 'org-1', name: 'Entra' });
const { token } = await identity.store.tokens.create(connector.id);

const app = express();
app.use('/identity', identity.router);
// The host's own slow route (a report, an export): in flight when SIGTERM arrives.
app.get('/slow', (req, res) => {
  setTimeout(() => res.send('slow done'), Number(req.query.ms));
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`ready ${token}`));

interface Pool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}
stopGracefully(
  server,
  async () => {
    await identity.close();
    const pool = (knex.client as { pool: Pool }).pool;
    await knex.destroy();
    console.log(`pool drained: ${pool.numUsed()} in use, ${pool.numFree()} idle, ${pool.numPendingAcquires()} waiting`);
  },
  (line) => console.log(line),
);
