import express from 'express';
import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import supertest from 'supertest';
import winston from 'winston';
import { createIdentityConnector, type IdentityConnector, type MetricsOptions } from '../../lib/index.js';
import type { Connector } from '../../lib/model/types.js';
import { testKnex, uniquePrefix, type TestDatabase } from './databases.js';

export const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';

/** Captures what the connector logs, so tests can assert that secrets never appear. */
export class LogCapture {
  lines: string[] = [];
  logger = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          write: (chunk, _encoding, done) => {
            this.lines.push(String(chunk));
            done();
          },
        }),
      }),
    ],
  });
  text(): string {
    return this.lines.join('\n');
  }
}

export interface ScimHarness {
  knex: Knex;
  identity: IdentityConnector;
  connector: Connector;
  token: string;
  logs: LogCapture;
  app: express.Express;
  http: ReturnType<typeof supertest>;
  /** A request with the bearer token and SCIM content type. */
  scim: {
    get(path: string): supertest.Test;
    post(path: string, body?: unknown): supertest.Test;
    put(path: string, body?: unknown): supertest.Test;
    patch(path: string, body?: unknown): supertest.Test;
    delete(path: string): supertest.Test;
  };
  close(): Promise<void>;
}

export const SCIM = '/identity/scim/v2';

/** A host app with the connector mounted at /identity over a fresh prefixed schema, a connector and a token. */
/** `admins`: the admin page and API answer requests with `x-test-admin: yes` (platform staff). */
export async function startScimHarness(
  db: TestDatabase,
  options: {
    settings?: unknown;
    preset?: string;
    rateLimitPerMinute?: number;
    databaseTimeoutMs?: number;
    expressModule?: typeof express;
    admins?: boolean;
    /** `options.clock`: a TestClock's `now`, for tests that count answers in one rate-limit window. */
    clock?: () => number;
    metrics?: MetricsOptions;
    /**
     * `options.sqliteGroupCommit` (SQLite only); by default TEST_SQLITE_GROUP_COMMIT=true turns it on
     * for every harness, so a whole suite can run with it on.
     */
    sqliteGroupCommit?: boolean;
  } = {},
): Promise<ScimHarness> {
  const knex = testKnex(db);
  const logs = new LogCapture();
  const identity = await createIdentityConnector({
    knex,
    baseUrl: 'http://127.0.0.1',
    mountPath: '/identity',
    secretKey: SECRET_KEY,
    tablePrefix: uniquePrefix(),
    logger: logs.logger,
    rateLimitPerMinute: options.rateLimitPerMinute,
    databaseTimeoutMs: options.databaseTimeoutMs,
    clock: options.clock,
    metrics: options.metrics,
    sqliteGroupCommit: options.sqliteGroupCommit ?? process.env.TEST_SQLITE_GROUP_COMMIT === 'true',
    ...(options.admins ? { authorizeAdmin: (req: express.Request) => req.get('x-test-admin') === 'yes' } : {}),
  });
  await identity.migrate();
  const connector = await identity.store.connectors.create({
    organizationId: 'org-1',
    name: 'Entra',
    preset: options.preset,
    settings: options.settings,
  });
  const { token } = await identity.store.tokens.create(connector.id);
  const app = (options.expressModule ?? express)();
  app.use('/identity', identity.router);
  const http = supertest(app);
  // A connector with its own endpoint (settings.scimEndpoint) is served only there.
  const base = connector.settings.scimEndpoint ? `/identity/${connector.settings.scimEndpoint}/scim` : SCIM;
  const auth = (t: supertest.Test) => t.set('Authorization', `Bearer ${token}`).set('Accept', 'application/scim+json');
  const withBody = (t: supertest.Test, body: unknown) =>
    body === undefined ? t : t.set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
  return {
    knex,
    identity,
    connector,
    token,
    logs,
    app,
    http,
    scim: {
      get: (path) => auth(http.get(base + path)),
      post: (path, body) => withBody(auth(http.post(base + path)), body),
      put: (path, body) => withBody(auth(http.put(base + path)), body),
      patch: (path, body) => withBody(auth(http.patch(base + path)), body),
      delete: (path) => auth(http.delete(base + path)),
    },
    async close() {
      await identity.store.rollbackAll();
      await identity.close();
      await knex.destroy();
    },
  };
}

/** An Entra-shaped user body. */
export function entraUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [given, family] = userName.split('@')[0].split('.');
  return {
    schemas: [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    ],
    externalId: `oid-${userName}`,
    userName,
    active: true,
    displayName: `${given} ${family ?? ''}`.trim(),
    name: { givenName: given, familyName: family ?? 'Doe' },
    emails: [{ type: 'work', value: userName, primary: true }],
    ...extra,
  };
}
