import { expect } from 'chai';
import { SecretBox } from '../../lib/crypto/secret-box.js';

describe('SecretBox key rotation (secretKey as a list)', () => {
  const previous = 'the-previous-secret-key-0123456789abcdef';
  const next = 'the-next-secret-key-0123456789abcdefghij';
  const before = new SecretBox(previous);
  const rotating = new SecretBox([next, previous]);
  const after = new SecretBox(next);

  it('decrypts what the previous key encrypted, and encrypts with the first key', () => {
    const sealed = before.encrypt('client secret');
    expect(rotating.decrypt(sealed)).to.equal('client secret');
    const resealed = rotating.encrypt('client secret');
    expect(after.decrypt(resealed)).to.equal('client secret');
    expect(() => before.decrypt(resealed)).to.throw();
  });

  it('verifies cookies signed with the previous key, and signs with the first key', () => {
    const old = before.sign('state');
    expect(rotating.unsign(old)).to.equal('state');
    expect(after.unsign(old)).to.equal(undefined);
    expect(after.unsign(rotating.sign('state'))).to.equal('state');
  });

  it('refuses what no key signed', () => {
    expect(rotating.unsign(new SecretBox('a-third-key-nobody-configured-0123456789').sign('state'))).to.equal(
      undefined,
    );
    expect(rotating.unsign(`state.${'A'.repeat(43)}`)).to.equal(undefined);
  });
});
