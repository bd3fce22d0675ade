import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';
import { BACKGROUND_STATEMENT, countStatements } from '../support/statements.js';
import { adminClient, type AdminClient } from './admin-client.js';

const MANY = 2_000;
const ORG = 'org-many';

/**
 * The connectors list (`GET /admin/api/connectors`, and the admin pages' menu) on a platform with
 * thousands of organizations: one statement a page whatever the number of connectors, pages by
 * cursor, and an organization's admin sees only their organization's connectors.
 */
describeEachDatabase('Admin JSON API: the connectors list pages', (db) => {
  let h: HostHarness;
  let orgAdmin: AdminClient;
  let platformAdmin: AdminClient;
  let counter: ReturnType<typeof countStatements>;
  /** The org's connectors, oldest first, as created. */
  const created: string[] = [];
  let otherOrgConnector: string;

  before(async function () {
    this.timeout(120_000);
    h = await startHostHarness(db);
    orgAdmin = await adminClient(h, 'admin-org', ORG);
    platformAdmin = await adminClient(h);
    counter = countStatements(h.knex);
    otherOrgConnector = (await h.store.connectors.create({ organizationId: 'org-next-door', name: 'Entra ID' })).id;
  });
  after(async () => {
    await h?.close();
  });

  /**
   * Adds connectors to ORG until it has `total`: the first through the store, the rest as copies of
   * its row (the same settings document) a second apart, so creation order is known.
   */
  async function growTo(total: number): Promise<void> {
    const table = h.store.tables.connectors;
    if (!created.length)
      created.push((await h.store.connectors.create({ organizationId: ORG, name: 'Connector 0' })).id);
    const template = (await h.knex(table).where({ id: created[0] }).first()) as Record<string, unknown>;
    const start = Number(template.created_at);
    const rows = [];
    for (let n = created.length; n < total; n++) {
      const id = randomUUID();
      created.push(id);
      rows.push({
        ...template,
        id,
        name: `Connector ${n}`,
        created_at: start + n * 1000,
        updated_at: start + n * 1000,
      });
    }
    for (let i = 0; i < rows.length; i += 200) await h.knex(table).insert(rows.slice(i, i + 200));
  }

  /** Walks the list page by page as `admin`, counting each page's own statements. */
  async function walk(
    admin: AdminClient,
    query = '',
  ): Promise<{ ids: string[]; statements: number[]; sizes: number[]; ms: number[] }> {
    const ids: string[] = [];
    const statements: number[] = [];
    const sizes: number[] = [];
    const ms: number[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams(query);
      if (cursor) params.set('cursor', cursor);
      counter.start();
      const started = performance.now();
      const response = await admin.get(`/connectors?${params}`);
      ms.push(performance.now() - started);
      statements.push(counter.stop().filter((sql) => !BACKGROUND_STATEMENT.test(sql)).length);
      expect(response.status, response.text).to.equal(200);
      const page = response.body as { connectors: Array<{ id: string }>; nextCursor: string | null };
      ids.push(...page.connectors.map((c) => c.id));
      sizes.push(page.connectors.length);
      cursor = page.nextCursor;
    } while (cursor);
    return { ids, statements, sizes, ms };
  }

  it('answers 10 connectors on one page, and 2,000 in pages of 50, each page one statement, oldest first', async function () {
    this.timeout(120_000);
    await growTo(10);
    const few = await walk(orgAdmin);
    expect(few.ids).to.deep.equal(created);
    expect(few.statements).to.deep.equal([1]);

    await growTo(MANY);
    const many = await walk(orgAdmin);
    expect(many.ids).to.deep.equal(created);
    expect(many.sizes).to.deep.equal(Array<number>(MANY / 50).fill(50));
    expect(many.statements).to.deep.equal(Array<number>(MANY / 50).fill(1));
    const sorted = [...many.ms].sort((a, b) => a - b);
    console.log(
      `      ${MANY} connectors: ${many.sizes.length} pages, median ${sorted[sorted.length >> 1].toFixed(1)} ms a page (over HTTP, in-process)`,
    );
  });

  it("keeps an organization's admin inside their organization; platform staff see every organization", async () => {
    const own = await walk(orgAdmin, 'count=200');
    expect(own.ids).to.deep.equal(created);
    expect(own.ids).to.not.include(otherOrgConnector);
    expect(own.statements.every((n) => n === 1)).to.equal(true);
    const next = await walk(await adminClient(h, 'admin-next-door', 'org-next-door'));
    expect(next.ids).to.deep.equal([otherOrgConnector]);
    const nobody = await walk(await adminClient(h, 'admin-empty', 'org-without-connectors'));
    expect(nobody.ids).to.deep.equal([]);
    const all = await walk(platformAdmin, 'count=200');
    expect(all.ids).to.include(otherOrgConnector).and.include.members(created);
    expect(new Set(all.ids).size).to.equal(all.ids.length);
  });

  it('counts live tokens in the same statement: revoked and expired ones are not live', async () => {
    const [a, b] = created;
    await h.store.tokens.create(a);
    const revoked = await h.store.tokens.create(a);
    await h.store.tokens.revoke(revoked.record.id);
    await h.store.tokens.create(b, { expiresAt: new Date(Date.now() - 1000) });
    await h.store.tokens.create(b);
    counter.start();
    const page = await orgAdmin.get('/connectors?count=2');
    expect(counter.stop().filter((sql) => !BACKGROUND_STATEMENT.test(sql))).to.have.length(1);
    const counts = (page.body as { connectors: Array<{ id: string; liveTokenCount: number }> }).connectors.map((c) => [
      c.id,
      c.liveTokenCount,
    ]);
    expect(counts).to.deep.equal([
      [a, 1],
      [b, 1],
    ]);
    // The same count as one connector's own answer.
    expect((await orgAdmin.get(`/connectors/${a}`)).body.liveTokenCount).to.equal(1);
  });

  it('refuses a page size outside 1…maxPageSize and a cursor it did not issue with 400', async () => {
    for (const query of ['count=0', 'count=201', 'count=ten', 'cursor=', 'cursor=bm9wZQ']) {
      const response = await orgAdmin.get(`/connectors?${query}`);
      expect(response.status, query).to.equal(400);
    }
  });

  it("the admin page's menu shows the first page and a More button holding the next page's cursor", async () => {
    const page = await request(h.appOrigin)
      .get(`${MOUNT}/admin/connectors/${created[1500]}`)
      .set('x-test-org', ORG)
      .set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const menu = /<ul id="connector-menu">([\s\S]*?)<\/ul>/.exec(page.text)![1];
    expect(menu.match(/<li>/g)).to.have.length(50);
    expect(menu).to.include(created[0]).and.include(created[49]);
    expect(menu).to.not.include(created[50]);
    const cursor = /data-action="more-connectors" data-cursor="([^"]+)"/.exec(page.text)![1];
    const next = await orgAdmin.get(`/connectors?cursor=${encodeURIComponent(cursor)}`);
    expect((next.body as { connectors: Array<{ id: string }> }).connectors[0].id).to.equal(created[50]);
    // A connector past the menu's page is still the page shown.
    expect(page.text).to.include(`data-connector="${created[1500]}"`);
  });
});
