import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
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

const SITE = 'https://platform.example';

/** Paths that a URL parser (or a browser) turns into another origin once they are normalised. */
const NORMALISING_TO_OFF_SITE = [
  // dot segments that collapse onto a leading '//'
  '/.//evil.example',
  '/..//evil.example',
  '/a/..//evil.example',
  '/./..//evil.example',
  '/a/b/../..//evil.example',
  // encoded dots (the parser decodes %2e in dot segments)
  '/%2e//evil.example',
  '/%2E%2E//evil.example',
  '/a/%2e%2e//evil.example',
  '/.%2e//evil.example',
  // encoded slashes and backslashes
  '/%2f/evil.example',
  '/%2F%2Fevil.example',
  '/%5c/evil.example',
  '/.%2f/evil.example',
  // backslashes, alone or mixed with dot segments
  '/.\\evil.example',
  '/..\\/evil.example',
  '/\\\\evil.example',
  // tabs, newlines and carriage returns the parser strips
  '/\t/evil.example',
  '/.\t//evil.example',
  '/\r\n/evil.example',
  '/.\n//evil.example',
  // Unicode slashes and look-alikes
  '/\u2215evil.example',
  '/\u2044evil.example',
  '/\uff0fevil.example',
  '/\uff3cevil.example',
  // scheme-relative and absolute forms
  '//evil.example',
  '///evil.example',
  '////evil.example',
  'https:evil.example',
  'https://evil.example',
  'http:/evil.example',
  'javascript:alert(1)',
  'data:text/html,x',
];

/** Whether the browser, resolving this Location against the site, stays on the site. */
function staysOnSite(location: string): boolean {
  return new URL(location, SITE).origin === SITE;
}

describe('safeReturnTo is a fixed point that never leaves the site', () => {
  for (const value of NORMALISING_TO_OFF_SITE) {
    it(`keeps ${JSON.stringify(value)} on the site, and re-checking changes nothing`, () => {
      const result = safeReturnTo(value);
      expect(staysOnSite(result), result).to.equal(true);
      expect(result.startsWith('//'), result).to.equal(false);
      expect(safeReturnTo(result)).to.equal(result);
    });
  }

  it('for any input: the result is / or a path that stays on the site when resolved, and is its own check', () => {
    const pieces = fc.constantFrom(
      '/',
      '//',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\\',
      '\t',
      '\n',
      '\r',
      '?',
      '#',
      '@',
      ':',
      'evil.example',
      'a',
      '\u2215',
      '\uff0f',
      '\u3002',
      'https:',
      '%00',
      ' ',
      '\u0000',
    );
    const shaped = fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(shaped, fc.string(), fc.string({ unit: 'binary' }), fc.webUrl(), fc.webPath()), (value) => {
        const result = safeReturnTo(value);
        expect(result === '/' || (result.startsWith('/') && !result.startsWith('//'))).to.equal(true);
        expect(staysOnSite(result)).to.equal(true);
        expect(safeReturnTo(result)).to.equal(result);
      }),
      { numRuns: 5000 },
    );
  });
});

describeEachDatabase('Redirecting after sign-in', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  for (const returnTo of [
    '//evil.example',
    'https://evil.example',
    '/\\evil',
    '/.//evil.example',
    '/%2e//evil.example',
  ]) {
    it(`sends the user to / instead of the open redirect ${JSON.stringify(returnTo)}`, async () => {
      const alice = await h.person();
      const browser = new TestBrowser();
      const stopped = await h.signIn(
        browser,
        h.url(`${MOUNT}/sso/login?connector=${h.connector.id}&returnTo=${encodeURIComponent(returnTo)}`),
        alice.login,
        { stopAtCallback: true },
      );
      const callback = await browser.request(locationOf(stopped));
      expect(callback.status).to.equal(302);
      expect(callback.headers.get('location')).to.equal('/');
    });
  }

  it("applies the same rule to the sign-in form's returnTo", async () => {
    const alice = await h.person();
    const browser = new TestBrowser();
    const stopped = await h.signIn(
      browser,
      { url: h.url(`${MOUNT}/sso/signin`), form: { email: alice.login, returnTo: '//evil.example' } },
      alice.login,
      { stopAtCallback: true },
    );
    const callback = await browser.request(locationOf(stopped));
    expect(callback.headers.get('location')).to.equal('/');
  });

  it('no path of the sign-in page, the password-page pass-on or the callback gives a Location off the site', async () => {
    const builtin = await h.provision({ userName: `pw.${Date.now()}@contoso.example`, loginMethod: 'builtin' });
    for (const returnTo of NORMALISING_TO_OFF_SITE) {
      const page = await request(h.appOrigin).get(`${MOUNT}/sso/signin?returnTo=${encodeURIComponent(returnTo)}`);
      const hidden = /name="returnTo" value="([^"]*)"/.exec(page.text)?.[1] ?? '';
      expect(
        staysOnSite(hidden) && !hidden.startsWith('//'),
        `hidden field for ${JSON.stringify(returnTo)}: ${hidden}`,
      ).to.equal(true);
      const passOn = await request(h.appOrigin)
        .post(`${MOUNT}/sso/signin`)
        .type('form')
        .send({ email: builtin.userName, returnTo });
      expect(passOn.status).to.equal(303);
      const passed = new URL(passOn.headers.location, SITE);
      expect(passed.origin).to.equal(SITE);
      const carried = passed.searchParams.get('returnTo') ?? '';
      expect(
        staysOnSite(carried) && !carried.startsWith('//'),
        `pass-on for ${JSON.stringify(returnTo)}: ${carried}`,
      ).to.equal(true);
    }
  });
});
