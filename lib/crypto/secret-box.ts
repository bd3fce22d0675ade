import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

interface Keys {
  encryption: Buffer;
  signing: Buffer;
  cursor: Buffer;
}

function deriveKeys(secretKey: string): Keys {
  const ikm = Buffer.from(secretKey, 'utf8');
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', ikm, 'identity-connector', purpose, 32));
  return { encryption: derive('secret-at-rest'), signing: derive('cookie-signing'), cursor: derive('scim-cursor') };
}

/**
 * AES-256-GCM for secrets at rest (OIDC client secrets), HMAC-SHA256 for signed cookies and for
 * SCIM paging cursors, with separate keys derived from the host's secretKey by HKDF so that no
 * key serves two purposes (a cookie signature never makes a valid cursor).
 * Ciphertext format: v1.<iv>.<tag>.<data>, base64url parts.
 * Given several secretKeys (a rotation), the first encrypts and signs and every one decrypts and
 * verifies, so secrets, cookies and cursors made under the previous key keep working.
 */
export class SecretBox {
  private readonly keys: Keys[];

  constructor(secretKeys: string | readonly string[]) {
    this.keys = (typeof secretKeys === 'string' ? [secretKeys] : secretKeys).map(deriveKeys);
    if (this.keys.length === 0) throw new Error('SecretBox needs at least one secretKey');
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0].encryption, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    let failure: unknown;
    for (const { encryption } of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', encryption, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch (error) {
        failure = error; // the GCM tag does not verify under this key: try the next
      }
    }
    throw failure;
  }

  sign(payload: string): string {
    return signWith(this.keys[0].signing, payload);
  }

  /** The payload when the signature is valid under any key, compared in constant time; otherwise undefined. */
  unsign(signed: string): string | undefined {
    return unsignWith(
      this.keys.map((k) => k.signing),
      signed,
    );
  }

  /** RFC 9865 cursors handed to SCIM clients: a client can only return one this server issued. */
  signCursor(cursor: string): string {
    return signWith(this.keys[0].cursor, cursor);
  }

  unsignCursor(signed: string): string | undefined {
    return unsignWith(
      this.keys.map((k) => k.cursor),
      signed,
    );
  }
}

function signWith(key: Buffer, payload: string): string {
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

function unsignWith(keys: Buffer[], signed: string): string | undefined {
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const payload = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1), 'base64url');
  const valid = keys.some((key) => {
    const expected = createHmac('sha256', key).update(payload).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return valid ? payload : undefined;
}
