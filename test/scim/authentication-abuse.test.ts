import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { SCIM, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

describeEachDatabase('SCIM under a flood of wrong bearer tokens', (db) => {
  let h: ScimHarness;
  before(async () => { h = await startScimHarness(db); });
  after(async () => { await h.close(); });

  it('limits failures per client address with 429 and Retry-After, never slows a valid token, and audits 1,000 failed attempts as one row', async () => {
    const audit = () => h.knex(h.identity.store.tables.auditEvents).count({ n: '*' }).first().then((r) => Number(r?.n));
    const rowsBefore = await audit();
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let batch = 0; batch < 50; batch += 1) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.http.get(`${SCIM}/Users`).set('Authorization', `Bearer wrong-${batch}-${i}`)));
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
    console.log(`      audit rows written per 1,000 failed attempts [${db.name}]: ${rowsDuringWindow} during the window, ${rows.length} at its end`);
    expect(rowsDuringWindow).to.equal(0);
    expect(rows).to.have.length(1);
    const detail = JSON.parse(String(rows[0].detail)) as { attempts: number; refused429: number; addresses: number };
    expect(detail).to.include({ attempts: 1000, refused429: 970, addresses: 1 });
  });
});
