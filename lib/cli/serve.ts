import express from 'express';
import { createIdentityConnector } from '../index.js';
import { connectKnex, redactUrl } from '../store/connect.js';
import { databaseUrl, secretKey, tablePrefix, truthy } from './environment.js';

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
  await new Promise<void>((resolve) => {
    const server = app.listen(port, () => resolve());
    const stop = () => server.close(() => { void identity.close().then(() => knex.destroy()); });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  options.io.out(`identity-connector serving ${identity.scimUrl} (store ${redactUrl(databaseUrl())})`);
}
