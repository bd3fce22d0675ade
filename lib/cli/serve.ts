import express from 'express';
import type { Server } from 'node:http';
import { createIdentityConnector } from '../index.js';
import { connectKnex, redactUrl } from '../store/connect.js';
import { databaseUrl, secretKey, tablePrefix, truthy } from './environment.js';
import { stopGracefully } from '../web/shutdown.js';

/** The connector on its own: SCIM, SSO and admin under MOUNT_PATH (default /identity). */
export async function serve(options: { port?: number; io: { out: (l: string) => void } }): Promise<void> {
  const port = options.port ?? Number(process.env.PORT || 3000);
  const baseUrl = process.env.BASE_URL || `http://localhost:${port}`;
  const mountPath = process.env.MOUNT_PATH ?? '/identity';
  const knex = connectKnex(databaseUrl());
  const identity = await createIdentityConnector({
    knex, baseUrl, mountPath,
    secretKey: secretKey({ create: true })!,
    tablePrefix: tablePrefix(),
    allowInsecureIssuer: truthy(process.env.IDENTITY_ALLOW_INSECURE_ISSUER),
  });
  await identity.migrate();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', truthy(process.env.TRUST_PROXY));
  app.use(mountPath, identity.router);
  // A port in use is reported like any CLI error, in one line, after the pool is released.
  // Express 5 passes a listen error to the callback; Express 4 only emits it.
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, (error?: Error) => (error ? reject(error) : resolve(s)));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    await knex.destroy();
    throw error;
  });
  stopGracefully(server, async () => { await identity.close(); await knex.destroy(); }, options.io.out);
  options.io.out(`identity-connector serving ${identity.scimUrl} (store ${redactUrl(databaseUrl())})`);
}
