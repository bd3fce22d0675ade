import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { createIdentityConnector } from '../../lib/index.js';
import { connectKnex } from '../../lib/store/connect.js';
import { LogCapture, SCIM, SECRET_KEY, startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { sharedTestDatabases } from '../support/databases.js';

/** Two instances need one database both reach: a SQLite file (not :memory:), MariaDB or PostgreSQL. */
const SHARED = sharedTestDatabases('revoke');

for (const db of SHARED) {
  describe(`Token revocation across instances [${db.name}]`, () => {
    let a: ScimHarness;
    let b: { get(): supertest.Test; close(): Promise<void> };

    beforeEach(async () => {
      a = await startScimHarness(db);
      const knex = connectKnex(db.url);
      const identity = await createIdentityConnector({
        knex,
        baseUrl: 'http://127.0.0.1',
        mountPath: '/identity',
        secretKey: SECRET_KEY,
        tablePrefix: a.identity.store.tablePrefix,
        logger: new LogCapture().logger,
      });
      const app = express();
      app.use('/identity', identity.router);
      const http = supertest(app);
      b = {
        get: () => http.get(`${SCIM}/Users?count=1`).set('Authorization', `Bearer ${a.token}`),
        async close() {
          await identity.close();
          await knex.destroy();
        },
      };
    });
    afterEach(async () => {
      await b.close();
      await a.close();
    });

    it('a token revoked through instance A is refused by instance B within 1 s, though B had just accepted it', async () => {
      expect((await b.get()).status).to.equal(200);
      const [record] = await a.identity.store.tokens.list(a.connector.id);
      await a.identity.store.tokens.revoke(record.id);
      const revokedAt = Date.now();
      for (;;) {
        const sentAt = Date.now();
        const res = await b.get();
        if (res.status === 401) {
          expect(sentAt - revokedAt).to.be.below(1_000);
          break;
        }
        expect(res.status).to.equal(200);
        expect(sentAt - revokedAt, 'still accepted 1 s after revocation').to.be.below(1_000);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });

    it('a connector deleted through instance A is refused by instance B within 1 s, though B keeps tokens a minute', async () => {
      expect((await b.get()).status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 900)); // past B's check period: B trusts its entry again
      expect((await b.get()).status).to.equal(200);
      await a.identity.store.connectors.delete(a.connector.id);
      const deletedAt = Date.now();
      for (;;) {
        const sentAt = Date.now();
        const res = await b.get();
        if (res.status === 401) break;
        expect(res.status).to.equal(200);
        expect(sentAt - deletedAt, 'still accepted 1 s after the connector was deleted').to.be.below(1_000);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
  });
}
