import express from 'express';
import type { Server } from 'node:http';
import { createIdentityConnector, type IdentityConnector } from '../index.js';
import { servedSignIn } from './serve-sign-in.js';
import { connectKnex, redactUrl } from '../store/connect.js';
import { readEnvironment } from '../runtime/environment.js';
import { stopGracefully } from '../web/shutdown.js';

/** The connector on its own: SCIM, SSO and admin under MOUNT_PATH (default /identity). */
export async function serve(options: { port?: number; io: { out: (l: string) => void } }): Promise<void> {
  // --port also moves the default BASE_URL, as PORT does.
  const environment = readEnvironment(
    options.port === undefined ? process.env : { ...process.env, PORT: String(options.port) },
  );
  const { port, baseUrl, mountPath } = environment;
  const knex = connectKnex(environment.databaseUrl);
  const secretKey = environment.secretKey({ create: true })!;
  const identity: IdentityConnector = await createIdentityConnector({
    knex,
    baseUrl,
    mountPath,
    secretKey,
    tablePrefix: environment.tablePrefix,
    allowInsecureIssuer: environment.allowInsecureIssuer,
    sqliteGroupCommit: environment.sqliteGroupCommit,
    // Signed in through Entra, kept in a signed cookie; the admin page follows the web role (adminFromWebRole).
    ...servedSignIn(secretKey, () => identity.options),
  });
  await identity.migrate();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', environment.trustProxy);
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
  stopGracefully(
    server,
    async () => {
      await identity.close();
      await knex.destroy();
    },
    options.io.out,
  );
  options.io.out(`identity-connector serving ${identity.scimUrl} (store ${redactUrl(environment.databaseUrl)})`);
}
