import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest (OIDC client secrets) and HMAC-SHA256 for signed cookies and
 * SCIM paging cursors, with separate keys derived from the host's secretKey by HKDF so that no
 * key serves two purposes (a cookie signature never makes a valid cursor).
 * Ciphertext format: v1.<iv>.<tag>.<data>, base64url parts.
 */
export class SecretBox {
  private readonly encryptionKey: Buffer;
  private readonly signingKey: Buffer;
  private readonly cursorKey: Buffer;

  constructor(secretKey: string) {
    const ikm = Buffer.from(secretKey, 'utf8');
    this.encryptionKey = Buffer.from(hkdfSync('sha256', ikm, 'identity-connector', 'secret-at-rest', 32));
    this.signingKey = Buffer.from(hkdfSync('sha256', ikm, 'identity-connector', 'cookie-signing', 32));
    this.cursorKey = Buffer.from(hkdfSync('sha256', ikm, 'identity-connector', 'scim-cursor', 32));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  sign(payload: string): string {
    return signWith(this.signingKey, payload);
  }

  /** The payload when the signature is valid, compared in constant time; otherwise undefined. */
  unsign(signed: string): string | undefined {
    return unsignWith(this.signingKey, signed);
  }

  /** RFC 9865 cursors handed to SCIM clients: a client can only return one this server issued. */
  signCursor(cursor: string): string {
    return signWith(this.cursorKey, cursor);
  }

  unsignCursor(signed: string): string | undefined {
    return unsignWith(this.cursorKey, signed);
  }
}

function signWith(key: Buffer, payload: string): string {
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

function unsignWith(key: Buffer, signed: string): string | undefined {
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const payload = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1), 'base64url');
  const expected = createHmac('sha256', key).update(payload).digest();
  return given.length === expected.length && timingSafeEqual(given, expected) ? payload : undefined;
}
