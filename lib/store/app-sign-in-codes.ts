import type { StoreContext } from './context.js';

/** What a one-time app sign-in code stands for (the code itself is never stored, only its hash). */
export interface AppSignInCode {
  codeHash: string;
  connectorId: string;
  userId: string;
  /** The app's redirect URI the code was sent to: the redemption must name the same. */
  redirectUri: string;
  /** The app's PKCE S256 challenge: the redemption's verifier must hash to it. */
  codeChallenge: string;
  /** How the sign-in found the user (for the audit entry at redemption). */
  matchedBy: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** One-time codes of mobile and desktop sign-in: issued once, consumed once, by any instance. */
export class AppSignInCodeStore {
  constructor(private readonly ctx: StoreContext) {}

  private get table() {
    return this.ctx.tables.appSignInCodes;
  }

  /** Stores a code, and drops codes that expired unredeemed. */
  async issue(code: AppSignInCode): Promise<void> {
    await this.ctx.db(this.table).where('expires_at', '<', Date.now()).delete();
    await this.ctx.db(this.table).insert({
      code_hash: code.codeHash,
      connector_id: code.connectorId,
      user_id: code.userId,
      redirect_uri: code.redirectUri,
      code_challenge: code.codeChallenge,
      matched_by: code.matchedBy,
      expires_at: code.expiresAt,
    });
  }

  /**
   * Takes the code out, whatever its redemption's outcome: the request whose delete removed the
   * row is the one that holds it, so of two concurrent redemptions exactly one gets it.
   * Undefined when unknown, already redeemed or expired.
   */
  async consume(codeHash: string, now = Date.now()): Promise<AppSignInCode | undefined> {
    const row = await this.ctx.db(this.table).where({ code_hash: codeHash }).first();
    if (!row) return undefined;
    const deleted = await this.ctx.db(this.table).where({ code_hash: codeHash }).delete();
    if (deleted !== 1 || Number(row.expires_at) <= now) return undefined;
    return {
      codeHash,
      connectorId: String(row.connector_id),
      userId: String(row.user_id),
      redirectUri: String(row.redirect_uri),
      codeChallenge: String(row.code_challenge),
      matchedBy: String(row.matched_by),
      expiresAt: Number(row.expires_at),
    };
  }
}
