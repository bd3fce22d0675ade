import type { Request, Response } from 'express';
import type { SecretBox } from '../crypto/secret-box.js';
import type { ResolvedOptions } from '../runtime/options.js';
import { clearCookie, readCookies, setCookie } from '../web/cookies.js';

/** Long enough to type a password and do MFA, short enough that a leaked cookie is soon useless. */
export const TRANSACTION_TTL_MS = 10 * 60 * 1000;
const COOKIE_PREFIX = 'idc_sso_tx_';
/** Enough of the state to tell concurrent sign-ins apart; the whole state is compared later. */
const STATE_KEY_LENGTH = 16;
/** Signed values carry their purpose, so one signed cookie cannot be replayed as another. */
const PURPOSE = 'sso-tx:';

/** What the callback needs to finish a sign-in that this browser started. */
export interface LoginTransaction {
  connectorId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Set when a mobile or desktop app started the sign-in (RFC 8252): where and how it gets the result. */
  app?: AppRequest;
}

/** What a native app sent when it opened the sign-in in the system browser. */
export interface AppRequest {
  redirectUri: string;
  /** The app's PKCE S256 challenge. */
  codeChallenge: string;
  /** The app's own state, returned to it unchanged. */
  state: string;
}

/**
 * The callback's transaction: found (with its cookie's name, to clear it) or why not — no or a mismatched `state`
 * (OpenID Connect Core 1.0 §3.1.2.7), no cookie, or one older than {@link TRANSACTION_TTL_MS}.
 */
export type TransactionLookup =
  | { ok: true; transaction: LoginTransaction; cookieName: string }
  | {
      ok: false;
      reason: 'state_missing' | 'state_mismatch' | 'transaction_missing' | 'transaction_expired';
      cookieName?: string;
    };

/**
 * The sign-in transaction lives in the browser, not in a server session: any instance behind the
 * load balancer can finish a sign-in that another started, and the host's session store is not
 * touched before the user is known. It is HMAC-signed (tampering is detected), HttpOnly, SameSite=Lax
 * (it must come back on Entra's top-level redirect), scoped to the callback path, and expires.
 *
 * One cookie per sign-in, named after its state: two tabs that both start a sign-in do not
 * overwrite each other's transaction.
 */
export class TransactionCookie {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly secrets: SecretBox,
  ) {}

  private get path(): string {
    return `${this.options.mountPath}/sso/callback`;
  }
  private nameFor(state: string): string {
    return COOKIE_PREFIX + state.slice(0, STATE_KEY_LENGTH).replace(/[^A-Za-z0-9_-]/g, '_');
  }

  write(res: Response, transaction: LoginTransaction): void {
    const payload = Buffer.from(
      JSON.stringify({
        c: transaction.connectorId,
        s: transaction.state,
        n: transaction.nonce,
        v: transaction.codeVerifier,
        r: transaction.returnTo,
        e: transaction.expiresAt,
        ...(transaction.app ? { a: transaction.app } : {}),
      }),
    ).toString('base64url');
    setCookie(res, this.options, this.nameFor(transaction.state), this.secrets.sign(PURPOSE + payload), {
      path: this.path,
      maxAgeMs: TRANSACTION_TTL_MS,
      sameSite: 'lax',
    });
  }

  /** Finds the transaction the callback's `state` belongs to. Never throws. */
  read(req: Request, state: string | undefined, now = Date.now()): TransactionLookup {
    if (!state) return { ok: false, reason: 'state_missing' };
    const cookies = readCookies(req);
    const cookieName = this.nameFor(state);
    const raw = cookies.get(cookieName);
    if (raw === undefined) {
      // Another sign-in's cookie is here: this state is not one we issued to this browser.
      const others = [...cookies.keys()].some((name) => name.startsWith(COOKIE_PREFIX));
      return { ok: false, reason: others ? 'state_mismatch' : 'transaction_missing' };
    }
    const signed = this.secrets.unsign(raw);
    if (signed === undefined || !signed.startsWith(PURPOSE)) return { ok: false, reason: 'state_mismatch', cookieName };
    const payload = signed.slice(PURPOSE.length);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'state_mismatch', cookieName };
    }
    const transaction: LoginTransaction = {
      connectorId: text(parsed.c, ''),
      state: text(parsed.s, ''),
      nonce: text(parsed.n, ''),
      codeVerifier: text(parsed.v, ''),
      returnTo: text(parsed.r, '/'),
      expiresAt: Number(parsed.e ?? 0),
    };
    // Signed by us: its shape is the one written above.
    if (parsed.a && typeof parsed.a === 'object') transaction.app = parsed.a as AppRequest;
    if (transaction.state !== state) return { ok: false, reason: 'state_mismatch', cookieName };
    if (!(transaction.expiresAt > now)) return { ok: false, reason: 'transaction_expired', cookieName };
    return { ok: true, transaction, cookieName };
  }

  /** A transaction is used once: cleared whatever the outcome. */
  clear(res: Response, cookieName: string): void {
    clearCookie(res, this.options, cookieName, { path: this.path, sameSite: 'lax' });
  }
}

/** A field of the signed cookie: we wrote strings, so anything else reads as the fallback. */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
