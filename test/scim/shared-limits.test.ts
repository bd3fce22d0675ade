import { expect } from 'chai';
import express from 'express';
import type { Knex } from 'knex';
import { createClient } from 'redis';
import { RedisStore } from 'rate-limit-redis';
import supertest from 'supertest';
import { createIdentityConnector, type IdentityConnector, type IdentityConnectorOptions } from '../../lib/index.js';
import { connectKnex } from '../../lib/store/connect.js';
import { rateCountersMigration } from '../../migrations/20261201050000_rate_counters.js';
import { tempSqliteUrl, uniquePrefix } from '../support/databases.js';
import { LogCapture, SCIM, SECRET_KEY } from '../support/scim-harness.js';
import { TestClock } from '../support/windows.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Instance {
  knex: Knex;
  identity: IdentityConnector;
  http: ReturnType<typeof supertest>;
  logs: LogCapture;
}

/** Two connector instances as two processes would be: each its own Knex pool and app, one database and table prefix. */
async function twoInstances(url: string, limit: number, store: () => IdentityConnectorOptions['rateLimitStore']) {
  const tablePrefix = uniquePrefix();
  // Both instances read one clock, started at a fresh window: the counts below happen inside one window.
  const clock = new TestClock();
  clock.freshWindow();
  const start = async (): Promise<Instance> => {
    const knex = connectKnex(url);
    const logs = new LogCapture();
    const identity = await createIdentityConnector({
      knex,
      baseUrl: 'http://127.0.0.1',
      mountPath: '/identity',
      secretKey: SECRET_KEY,
      tablePrefix,
      logger: logs.logger,
      rateLimitPerMinute: limit,
      rateLimitStore: store(),
      clock: clock.now,
    });
    const app = express();
    app.use('/identity', identity.router);
    return { knex, identity, http: supertest(app), logs };
  };
  const a = await start();
  await a.identity.migrate();
  const b = await start();
  const connector = await a.identity.store.connectors.create({ organizationId: 'org-1', name: 'Entra' });
  const { token } = await a.identity.store.tokens.create(connector.id);
  return {
    a,
    b,
    token,
    tablePrefix,
    get: (on: Instance, path = '/Users?count=1') =>
      on.http.get(`${SCIM}${path}`).set('Authorization', `Bearer ${token}`),
    async close() {
      await a.identity.store.rollbackAll();
      for (const i of [a, b]) {
        await i.identity.close();
        await i.knex.destroy();
      }
    },
  };
}

/**
 * `n` requests split over both instances (A, B, A, B, …), `concurrency` at a time, in order:
 * answers in the order they were sent, with their timings.
 */
async function spread(instances: Awaited<ReturnType<typeof twoInstances>>, n: number, concurrency: number) {
  const answers: Array<{ status: number; retryAfter?: string; scim: boolean; ms: number }> = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(concurrency, n - i) }, async (_, j) => {
        const t0 = process.hrtime.bigint();
        const res = await instances.get((i + j) % 2 === 0 ? instances.a : instances.b);
        return {
          status: res.status,
          retryAfter: res.headers['retry-after'],
          scim: Array.isArray(res.body?.schemas),
          ms: Number(process.hrtime.bigint() - t0) / 1e6,
        };
      }),
    );
    answers.push(...batch);
  }
  return answers;
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

function expectExactly(answers: Awaited<ReturnType<typeof spread>>, limit: number) {
  const ok = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 429);
  expect(ok, 'requests admitted over both instances').to.have.length(limit);
  expect(refused).to.have.length(answers.length - limit);
  for (const r of refused) {
    expect(Number(r.retryAfter)).to.be.within(1, 60);
    expect(r.scim).to.equal(true);
  }
}

describe('Rate limits shared by two instances', function () {
  this.timeout(120_000);
  const LIMIT = 200;
  const databases: Array<[string, string | undefined]> = [
    ['one SQLite file', tempSqliteUrl('shared-limits')],
    ['MariaDB', process.env.TEST_MYSQL_URL],
    ['PostgreSQL', process.env.TEST_PG_URL],
  ];
  const figures: Record<string, unknown> = {};
  after(() => console.log('      shared rate-limit figures:', figures));

  for (const [name, url] of databases) {
    describe(`database store (default) on ${name}`, () => {
      if (!url) {
        it.skip(`(skipped: ${name === 'MariaDB' ? 'TEST_MYSQL_URL' : 'TEST_PG_URL'} is not set)`);
        return;
      }
      it(`${LIMIT + 60} requests split over both instances: exactly ${LIMIT} answered, then 429 with Retry-After`, async () => {
        const two = await twoInstances(url, LIMIT, () => undefined);
        try {
          const answers = await spread(two, LIMIT + 60, 4);
          expectExactly(answers, LIMIT);
          const rows = await two.a.knex(`${two.tablePrefix}rate_counters`).select('counter_key', 'hits');
          expect(rows).to.have.length(1);
          figures[name] = {
            admitted: answers.filter((a) => a.status === 200).length,
            refused429: answers.filter((a) => a.status === 429).length,
            medianMs: median(answers.map((a) => a.ms)),
            counted: Number(rows[0].hits),
          };
        } finally {
          await two.close();
        }
      });
    });
  }

  describe('Redis store (rate-limit-redis)', () => {
    const clients: Array<ReturnType<typeof createClient>> = [];
    before(async function () {
      const probe = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.quit();
      } catch (error) {
        console.log(`      (skipped: no Redis at ${REDIS_URL}: ${(error as Error).message})`);
        this.skip();
      }
    });
    after(async () => {
      for (const c of clients) if (c.isOpen) await c.quit();
    });

    it(`${LIMIT + 60} requests split over both instances, each with its own Redis client: exactly ${LIMIT}, then 429 with Retry-After`, async () => {
      const prefix = `idc-test:${process.pid}:${Date.now()}:`;
      const redisStore = () => {
        const client = createClient({ url: REDIS_URL });
        clients.push(client);
        void client.connect();
        return new RedisStore({ sendCommand: (...args: string[]) => client.sendCommand(args), prefix });
      };
      const two = await twoInstances(tempSqliteUrl('redis-limits'), LIMIT, redisStore);
      try {
        const answers = await spread(two, LIMIT + 60, 4);
        expectExactly(answers, LIMIT);
        figures.redis = {
          admitted: answers.filter((a) => a.status === 200).length,
          refused429: answers.filter((a) => a.status === 429).length,
          medianMs: median(answers.map((a) => a.ms)),
        };
      } finally {
        await two.close();
      }
    });

    it('Redis not reachable at start-up: requests pass uncounted (one log line), then once it answers the store loads its scripts again and limits apply', async () => {
      const prefix = `idc-test:${process.pid}:${Date.now()}:late:`;
      const late: Array<ReturnType<typeof createClient>> = [];
      const redisStore = () => {
        const client = createClient({ url: REDIS_URL });
        late.push(client);
        clients.push(client);
        return new RedisStore({ sendCommand: (...args: string[]) => client.sendCommand(args), prefix });
      };
      const two = await twoInstances(tempSqliteUrl('redis-late'), 10, redisStore);
      try {
        // The clients are not connected yet: every command fails at once.
        const during = await spread(two, 20, 2);
        expect(during.map((a) => a.status)).to.deep.equal(Array(20).fill(200));
        for (const i of [two.a, two.b])
          expect(i.logs.lines.filter((l) => l.includes('rate-limit store unavailable'))).to.have.length(1);
        for (const client of late) await client.connect();
        await sleep(1100);
        const after = await spread(two, 14, 2);
        expect(after.filter((a) => a.status === 200)).to.have.length(10);
        expect(after.slice(10).every((a) => a.status === 429)).to.equal(true);
      } finally {
        await two.close();
      }
    });
  });

  it('database store far from the limit: hits are sent in batches, not a write per request, and identity.close() sends the rest', async () => {
    // limit 6,400: batches of 100 while under 4,800.
    const two = await twoInstances(tempSqliteUrl('batched'), 6400, () => undefined);
    try {
      const stored = () =>
        two.a
          .knex(`${two.tablePrefix}rate_counters`)
          .sum({ n: 'hits' })
          .first()
          .then((r) => Number(r?.n ?? 0));
      const answers = await spread(two, 10, 2);
      expect(answers.every((a) => a.status === 200)).to.equal(true);
      // Each instance asked the store once (its first hit); the other hits wait in memory for a
      // batch of 100 or the flush a second later (10 requests take well under a second).
      const before = await stored();
      expect(before).to.equal(2);
      await two.a.identity.close();
      await two.b.identity.close();
      expect(await stored()).to.equal(10);
      figures.batched = { requests: 10, storedBeforeClose: before, storedAfterClose: 10 };
    } finally {
      await two.close();
    }
  });

  for (const [name, url] of [
    ['SQLite', tempSqliteUrl('many-keys')],
    ['MariaDB', process.env.TEST_MYSQL_URL],
    ['PostgreSQL', process.env.TEST_PG_URL],
  ] as const) {
    it(`database store on ${name}: the unsent hits of many tokens reach the store together, each token's total exact`, async function () {
      if (!url) this.skip();
      const two = await twoInstances(url, 6400, () => undefined);
      try {
        // 40 organizations, a token each: every token's first hit asks the store, its next two wait in memory.
        const tokens: string[] = [];
        for (let k = 0; k < 40; k++) {
          const connector = await two.a.identity.store.connectors.create({
            organizationId: `org-many-${k}`,
            name: 'Entra',
          });
          tokens.push((await two.a.identity.store.tokens.create(connector.id)).token);
        }
        for (let round = 0; round < 3; round++) {
          const answers = await Promise.all(
            tokens.map((token) => two.a.http.get(`${SCIM}/Users?count=1`).set('Authorization', `Bearer ${token}`)),
          );
          expect(answers.map((a) => a.status)).to.deep.equal(tokens.map(() => 200));
        }
        await two.a.identity.close(); // sends what is unsent: one multi-row statement for the 40 keys
        const rows = await two.a
          .knex(`${two.tablePrefix}rate_counters`)
          .select('counter_key', 'hits')
          .where('counter_key', 'like', 'token:%');
        expect(rows).to.have.length(40);
        expect(rows.map((r) => Number(r.hits))).to.deep.equal(tokens.map(() => 3));
      } finally {
        await two.close();
      }
    });
  }

  it('memory store (an opt-in for one instance): each instance holds its own budget, which is why it is not the default', async () => {
    const two = await twoInstances(tempSqliteUrl('memory-limits'), 20, () => 'memory');
    try {
      const answers = await spread(two, 60, 2);
      expect(answers.filter((a) => a.status === 200)).to.have.length(40);
    } finally {
      await two.close();
    }
  });

  it('a failing counter store does not fail requests: they pass uncounted, one log line each way, and limits apply again once it answers', async () => {
    const two = await twoInstances(tempSqliteUrl('failing-store'), 10, () => undefined);
    try {
      await two.a.knex.schema.dropTable(`${two.tablePrefix}rate_counters`);
      const during = await spread(two, 30, 3);
      expect(during.map((a) => a.status)).to.deep.equal(Array(30).fill(200));
      for (const i of [two.a, two.b]) {
        expect(
          i.logs.lines.filter((l) => l.includes('rate-limit store unavailable')),
          i.logs.text(),
        ).to.have.length(1);
      }
      await rateCountersMigration(two.tablePrefix).up(two.a.knex);
      await sleep(1100);
      const after = await spread(two, 14, 2);
      expect(after.filter((a) => a.status === 200)).to.have.length(10);
      expect(after.slice(10).every((a) => a.status === 429)).to.equal(true);
      for (const i of [two.a, two.b])
        expect(i.logs.lines.filter((l) => l.includes('rate-limit store answers again'))).to.have.length(1);
    } finally {
      await two.close();
    }
  });
});

describe('A rate-limit decision that settles after the database deadline has answered', () => {
  it('is dropped: the 503 stands, the process sees no unhandled rejection and no second answer (ERR_HTTP_HEADERS_SENT)', async () => {
    const faults: unknown[] = [];
    const onFault = (error: unknown) => faults.push(error);
    process.on('unhandledRejection', onFault);
    process.on('uncaughtException', onFault);
    // An express-rate-limit store that answers only after the deadline (a frozen Redis or database).
    const slow = {
      increment: () => sleep(400).then(() => ({ totalHits: 1, resetTime: new Date(Date.now() + 60_000) })),
      decrement: async () => {},
    };
    const knex = connectKnex('sqlite::memory:');
    const logs = new LogCapture();
    const identity = await createIdentityConnector({
      knex,
      baseUrl: 'http://127.0.0.1',
      mountPath: '/identity',
      secretKey: SECRET_KEY,
      logger: logs.logger,
      rateLimitStore: slow,
      databaseTimeoutMs: 100,
    });
    try {
      await identity.migrate();
      const connector = await identity.store.connectors.create({ organizationId: 'org-1', name: 'Entra' });
      const { token } = await identity.store.tokens.create(connector.id);
      const app = express();
      app.use('/identity', identity.router);
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          supertest(app).get(`${SCIM}/Users?count=1`).set('Authorization', `Bearer ${token}`),
        ),
      );
      expect(answers.map((a) => a.status)).to.deep.equal(Array(5).fill(503));
      expect(answers.every((a) => a.headers['retry-after'] === '1')).to.equal(true);
      await sleep(600); // the store's answers arrive now, after the 503s
      expect(faults).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onFault);
      process.off('uncaughtException', onFault);
      await identity.close();
      await knex.destroy();
    }
  });
});
