import { expect } from 'chai';
import { safeReturnTo } from '../../lib/sso/return-to.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { locationOf, MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

const OFF_SITE = [
  '//evil.example',
  '//evil.example/path',
  'https://evil.example',
  'http://evil.example/',
  '/\\evil',
  '/\\/evil.example',
  '\\\\evil.example',
  'javascript:alert(1)',
  '/\t/evil.example',
  '/\n/evil.example',
  'evil.example',
  '',
  '/' + 'a'.repeat(2000),
];

describe('Choosing where to go after sign-in (returnTo)', () => {
  for (const value of OFF_SITE) {
    it(`refuses ${JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}…` : value)} and falls back to /`, () => {
      expect(safeReturnTo(value)).to.equal('/');
    });
  }

  it('keeps a same-origin path with its query and fragment', () => {
    expect(safeReturnTo('/reports?range=7d#top')).to.equal('/reports?range=7d#top');
  });

  it('keeps percent-encoded characters encoded (they cannot change the origin)', () => {
    expect(safeReturnTo('/%0a')).to.equal('/%0a');
    expect(safeReturnTo('/a%2F%2Fb')).to.equal('/a%2F%2Fb');
  });

  it('normalises dot segments without leaving the site', () => {
    expect(safeReturnTo('/a/../../b')).to.equal('/b');
  });

  it('refuses anything that is not a string', () => {
    expect(safeReturnTo(['/a'])).to.equal('/');
    expect(safeReturnTo(undefined)).to.equal('/');
  });
});

describeEachDatabase('Redirecting after sign-in', (db) => {
  let h: HostHarness;
  before(async () => { h = await startHostHarness(db); });
  after(async () => { await h?.close(); });

  for (const returnTo of ['//evil.example', 'https://evil.example', '/\\evil']) {
    it(`sends the user to / instead of the open redirect ${JSON.stringify(returnTo)}`, async () => {
      const alice = await h.person();
      const browser = new TestBrowser();
      const stopped = await h.signIn(browser, h.url(`${MOUNT}/sso/login?connector=${h.connector.id}&returnTo=${encodeURIComponent(returnTo)}`), alice.login, { stopAtCallback: true });
      const callback = await browser.request(locationOf(stopped));
      expect(callback.status).to.equal(302);
      expect(callback.headers.get('location')).to.equal('/');
    });
  }

  it('applies the same rule to the sign-in form\'s returnTo', async () => {
    const alice = await h.person();
    const browser = new TestBrowser();
    const stopped = await h.signIn(browser, { url: h.url(`${MOUNT}/sso/signin`), form: { email: alice.login, returnTo: '//evil.example' } }, alice.login, { stopAtCallback: true });
    const callback = await browser.request(locationOf(stopped));
    expect(callback.headers.get('location')).to.equal('/');
  });
});
