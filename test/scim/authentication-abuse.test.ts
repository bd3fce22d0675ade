import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { SCIM, startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { TestClock } from '../support/windows.js';

describeEachDatabase('SCIM under a flood of wrong bearer tokens', (db) => {
  let h: ScimHarness;
  const clock = new TestClock();
  before(async () => {
    h = await startScimHarness(db, { clock: clock.now });
  });
  after(async () => {
    await h.close();
  });

  it('limits failures per client address with 429 and Retry-After, never slows a valid token, and audits 1,000 failed attempts as one row', async function () {
    // 1,000 attempts in one window: a minute turning over midway would open a second budget.
    this.timeout(120_000);
    clock.freshWindow();
    const audit = () =>
      h
        .knex(h.identity.store.tables.auditEvents)
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n));
    const rowsBefore = await audit();
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let batch = 0; batch < 50; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          h.http.get(`${SCIM}/Users`).set('Authorization', `Bearer wrong-${batch}-${i}`),
        ),
      );
      for (const a of answers) {
        statuses.push(a.status);
        if (a.status === 429) retryAfter ??= a.headers['retry-after'];
      }
      // A valid token from the same address, mid-flood, is answered at once.
      if (batch % 10 === 5) expect((await h.scim.get('/Users?count=1')).status).to.equal(200);
    }
    expect(statuses.filter((s) => s === 401)).to.have.length(30);
    expect(statuses.filter((s) => s === 429)).to.have.length(970);
    expect(Number(retryAfter)).to.be.within(1, 60);
    const rowsDuringWindow = (await audit()) - rowsBefore;
    await h.identity.close();
    const rows = await h.knex(h.identity.store.tables.auditEvents).where({ operation: 'scim.authentication_failed' });
    console.log(
      `      audit rows written per 1,000 failed attempts [${db.name}]: ${rowsDuringWindow} during the window, ${rows.length} at its end`,
    );
    expect(rowsDuringWindow).to.equal(0);
    expect(rows).to.have.length(1);
    const detail = JSON.parse(String(rows[0].detail)) as { attempts: number; refused429: number; addresses: number };
    expect(detail).to.include({ attempts: 1000, refused429: 970, addresses: 1 });
  });
});

describeEachDatabase('SCIM failed bearer attempts per connector', (db) => {
  let h: ScimHarness;
  const clock = new TestClock();
  before(async () => {
    h = await startScimHarness(db, { clock: clock.now });
    // Behind a proxy, as a host is: each attempt names its client address.
    h.app.set('trust proxy', true);
  });
  after(async () => {
    await h.close();
  });

  it("limits failures at a connector's own endpoint per connector (from many addresses), leaves other endpoints alone, and audits one row per window per connector", async function () {
    this.timeout(120_000);
    clock.freshWindow();
    const advisors = await h.identity.store.connectors.create({
      organizationId: 'org-1',
      name: 'Advisors',
      settings: { scimEndpoint: 'advisors' },
    });
    const { token: advisorsToken } = await h.identity.store.tokens.create(advisors.id);
    const counterRows = () =>
      h
        .knex(h.identity.store.tables.rateCounters)
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n));
    const auditRows = () =>
      h
        .knex(h.identity.store.tables.auditEvents)
        .where({ operation: 'scim.authentication_failed' })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n));
    // 1,000 wrong tokens at /identity/advisors/scim from 50 addresses, 20 each: no address reaches its own limit (30).
    const statuses: number[] = [];
    for (let batch = 0; batch < 50; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          h.http
            .get('/identity/advisors/scim/Users')
            .set('X-Forwarded-For', `203.0.113.${(batch * 20 + i) % 50}`)
            .set('Authorization', `Bearer wrong-${batch}-${i}`),
        ),
      );
      statuses.push(...answers.map((a) => a.status));
      if (batch === 6) {
        // Past the connector's limit (140 attempts), under the overall one (300): the connector's
        // valid token is answered, and a wrong token at the shared endpoint from a fresh address is still a plain 401.
        expect(
          (await h.http.get('/identity/advisors/scim/Users?count=1').set('Authorization', `Bearer ${advisorsToken}`))
            .status,
        ).to.equal(200);
        expect(
          (
            await h.http
              .get(`${SCIM}/Users`)
              .set('X-Forwarded-For', '198.51.100.7')
              .set('Authorization', 'Bearer wrong')
          ).status,
        ).to.equal(401);
      }
    }
    expect(
      statuses.filter((s) => s === 401),
      'per-connector limit (100)',
    ).to.have.length(100);
    expect(statuses.filter((s) => s === 429)).to.have.length(900);
    const rowsDuringWindow = { counters: await counterRows(), audit: await auditRows() };
    await h.identity.close();
    const rows = await h
      .knex(h.identity.store.tables.auditEvents)
      .where({ operation: 'scim.authentication_failed' })
      .orderBy('id');
    const byConnector = new Map(
      rows.map((r) => [
        r.connector_id as string | null,
        JSON.parse(String(r.detail)) as { attempts: number; refused429: number; addresses: number },
      ]),
    );
    console.log(
      `      rows written per 1,000 failed attempts at one connector [${db.name}]: ${rowsDuringWindow.audit} audit rows during the window, ${rows.length} at its end (one per connector); ${rowsDuringWindow.counters} counter rows (per address, connector, overall)`,
    );
    expect(rowsDuringWindow.audit).to.equal(0);
    expect(rows).to.have.length(2);
    expect(byConnector.get(advisors.id)).to.include({ attempts: 1000, refused429: 900, addresses: 50 });
    expect(byConnector.get(null)).to.include({ attempts: 1, refused429: 0, addresses: 1 });
    // 50 addresses at the advisors endpoint + 1 at the shared one + the advisors connector + overall
    // (+ the valid token's own budget): one row each for the window.
    expect(rowsDuringWindow.counters).to.equal(53 + 1);
  });
});
