import { expect } from 'chai';
import { PrincipalCache, type CachedPrincipal } from '../../lib/auth/principal-cache.js';
import { IdentityEvents } from '../../lib/model/events.js';
import type { Connector } from '../../lib/model/types.js';

/** Lets the cache's first fingerprint check answer: until then it keeps nothing. */
async function primed(cache: PrincipalCache, at: number): Promise<PrincipalCache> {
  cache.set('first', principal(-1), at, at);
  await new Promise((resolve) => setImmediate(resolve));
  return cache;
}

const principal = (n: number): CachedPrincipal => ({
  token: {
    id: `t${n}`,
    connectorId: `c${n}`,
    displayPrefix: 'idc_',
    label: null,
    createdAt: new Date(0),
    lastUsedAt: null,
    expiresAt: null,
    revokedAt: null,
  },
  connector: { id: `c${n}` } as Connector,
});

describe('Verified-token cache (many tenants)', () => {
  it('keeps 2,000 active tokens, each used less often than the check period, on one fingerprint read a period', async () => {
    let reads = 0;
    const t0 = 1_000_000;
    const cache = await primed(
      new PrincipalCache(new IdentityEvents(), {
        fingerprint: async () => {
          reads += 1;
          return 'same';
        },
        checkMs: 800,
      }),
      t0,
    );
    for (let n = 0; n < 2_000; n++) cache.set(`h${n}`, principal(n), t0, t0);
    // Every token again 0.9 s and 1.8 s later: past the check period each time.
    for (const at of [t0 + 900, t0 + 1_800]) {
      for (let n = 0; n < 2_000; n++) expect((await cache.get(`h${n}`, at))?.token.id).to.equal(`t${n}`);
    }
    expect(reads).to.equal(3); // the first check, then one a period
  });

  it('empties when the fingerprint changes, and does not keep a principal read before that check', async () => {
    let value = 'a';
    const cache = await primed(
      new PrincipalCache(new IdentityEvents(), { fingerprint: async () => value, checkMs: 800 }),
      0,
    );
    cache.set('h1', principal(1), 0, 0);
    expect(await cache.get('h1', 500)).to.not.equal(undefined);
    value = 'b'; // another instance revoked a token
    expect(await cache.get('h1', 2_000)).to.equal(undefined);
    cache.set('h2', principal(2), 1_500, 2_100); // its read began before the check that saw the change
    cache.set('h3', principal(3), 2_050, 2_100);
    expect(await cache.get('h2', 2_200)).to.equal(undefined);
    expect((await cache.get('h3', 2_200))?.token.id).to.equal('t3');
  });

  it('drops a token revoked through this process at once, and an entry past its lifetime', async () => {
    const events = new IdentityEvents();
    const cache = await primed(new PrincipalCache(events, { fingerprint: async () => 'same', ttlMs: 60_000 }), 0);
    cache.set('h1', principal(1), 0, 0);
    cache.set('h2', principal(2), 0, 0);
    events.emit('token.revoked', principal(1).token);
    expect(await cache.get('h1', 10)).to.equal(undefined);
    expect(await cache.get('h2', 59_999)).to.not.equal(undefined);
    expect(await cache.get('h2', 60_000)).to.equal(undefined);
  });
});
