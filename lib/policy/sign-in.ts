import type { Connector, StoredUser } from '../model/types.js';
import type { IdentityStore } from '../store/index.js';
import type { AuditContext, AuditRecord, AuditWriter } from './audit.js';

/** The most accounts home-realm discovery reads for one address (they are one person's, in a few organizations). */
const REALM_CANDIDATES = 10;

/**
 * Where home-realm discovery sends an address: Entra for the one connector whose user with this
 * userName signs in with SSO; a choice when several organizations have one (never named: that
 * would tell anyone who types the address where it has accounts); the password page otherwise —
 * for a built-in account and for an address nobody here knows alike, so the form cannot be used
 * to find out which addresses have accounts.
 */
export type Realm = { kind: 'sso'; connector: Connector } | { kind: 'several' } | { kind: 'password' };

/** Home-realm discovery's decision, made here once (the sign-in page only shows it). */
export async function discoverRealm(store: IdentityStore, email: string): Promise<Realm> {
  const users = await store.users.findAllByUserName(email, REALM_CANDIDATES);
  const connectorIds = [...new Set(users.filter((u) => u.loginMethod === 'sso').map((u) => u.connectorId))];
  if (connectorIds.length > 1) return { kind: 'several' };
  const connector = connectorIds.length ? await store.connectors.get(connectorIds[0]) : undefined;
  return connector ? { kind: 'sso', connector } : { kind: 'password' };
}

/** A refused sign-in: the reason code (sso/refusals.ts), the user when one was matched, the status answered. */
export interface SignInRefusal {
  reason: string;
  userId?: string | null;
  status: number;
}

/**
 * The outcome of each sign-in through Entra, recorded once: one `login` audit row per sign-in,
 * and `login.succeeded` / `login.failed` for the host's listeners. Once Entra's ID token has been
 * verified the connection works, whatever this account's own outcome: the connector is marked
 * SSO-verified (admins may switch users to SSO from then on, login-method.ts) in the same
 * transaction as the row.
 */
export class SignIns {
  constructor(private readonly audit: AuditWriter) {}

  /** A user signed in; `matchedBy` names the claim that found them. The event follows the commit. */
  succeeded(connector: Connector, user: StoredUser, matchedBy: string, context: AuditContext): Promise<void> {
    return this.audit.change(context, async (tx) => {
      await this.verified(tx, connector);
      tx.emit('login.succeeded', {
        connectorId: connector.id,
        userId: user.id,
        requestId: context.requestId ?? undefined,
      });
      return { value: undefined, record: loginRecord(connector.id, user.id, `matched by ${matchedBy}`) };
    });
  }

  /**
   * A sign-in refused. `tokenVerified`: Entra's ID token had been verified (the refusal is about the
   * account), so the connector is marked verified with the refusal's row; otherwise nothing but
   * the row is written, and it never throws.
   */
  async refused(
    connector: Connector | null,
    refusal: SignInRefusal,
    context: AuditContext,
    tokenVerified = false,
  ): Promise<void> {
    const connectorId = connector?.id ?? null;
    this.audit.store.emit('login.failed', {
      connectorId,
      userId: refusal.userId ?? null,
      reason: refusal.reason,
      requestId: context.requestId ?? undefined,
    });
    const record: AuditRecord = {
      ...loginRecord(connectorId, refusal.userId ?? null, refusal.reason),
      status: refusal.status,
      outcome: 'failure',
    };
    if (!connector || !tokenVerified || connector.ssoVerifiedAt) return this.audit.refusal(context, record);
    await this.audit.change(context, async (tx) => {
      await this.verified(tx, connector);
      return { value: undefined, record };
    });
  }

  /**
   * The host's password or SSO login refused a user for their login method (sso/login-method.ts):
   * `login.failed` and one failure row per user, actor `login-method`; never throws.
   */
  async refusedForMethod(
    user: Pick<StoredUser, 'id' | 'connectorId'>,
    reason: string,
    requestId?: string,
  ): Promise<void> {
    this.audit.store.emit('login.failed', { connectorId: user.connectorId, userId: user.id, reason, requestId });
    await this.audit.refusal(
      { actor: 'login-method', requestId: requestId ?? null, status: 403 },
      loginRecord(user.connectorId, user.id, reason),
    );
  }

  private async verified(tx: IdentityStore, connector: Connector): Promise<void> {
    if (!connector.ssoVerifiedAt) await tx.connectors.markSsoVerified(connector.id);
  }
}

function loginRecord(connectorId: string | null, userId: string | null, detail: string): AuditRecord {
  return { connectorId, operation: 'login', resourceType: userId ? 'User' : null, resourceId: userId, detail };
}
