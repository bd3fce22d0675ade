/**
 * A host process for test/web/host-survives-database-faults.test.ts: the library mounted in an
 * Express app on DATABASE_URL, with short deadlines and rate-limit windows (DEADLINE_MS,
 * WINDOW_MS) so that a freeze of a few seconds outlasts every one of them. Prints `ready <token>`
 * once listening. It installs no process-level handler: an unhandled rejection or an answer after
 * an answer must end it, as it would end a real host.
 */
import express from 'express';
import { connectKnex, createIdentityConnector } from '../../lib/index.js';

const knex = connectKnex(process.env.DATABASE_URL!);
const identity = await createIdentityConnector({
  knex,
  baseUrl: 'http://127.0.0.1',
  mountPath: '/identity',
  secretKey: 'fault-host-secret-key-0123456789abcdef',
  tablePrefix: process.env.TABLE_PREFIX,
  databaseTimeoutMs: Number(process.env.DEADLINE_MS),
  rateLimitWindowMs: Number(process.env.WINDOW_MS),
  rateLimitPerMinute: 100_000,
});
await identity.migrate();
const connector = await identity.store.connectors.create({ organizationId: 'org-1', name: 'Entra' });
const { token } = await identity.store.tokens.create(connector.id);

const app = express();
app.use('/identity', identity.router);
app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`ready ${token}`));
