import type { Request, Response } from 'express';
import type { AuditContext } from '../policy/audit.js';
import type { Connector } from '../model/types.js';
import { refuse as refusePage } from '../web/refuse.js';
import type { Runtime } from '../web/runtime.js';
import { signInUrl } from '../web/sign-in-url.js';
import { ConnectorCookie } from './connector-cookie.js';
import { REFUSAL_TEXT, type LoginRefusal } from './refusals.js';
import { RelyingParty } from './relying-party.js';
import { TransactionCookie } from './transaction-cookie.js';

/** RFC 5321's longest address: longer email fields and login hints are not read. */
export const MAX_EMAIL_LENGTH = 320;

/** What every step of the sign-in flow shares: the runtime, the relying party and the two cookies. */
export interface SsoFlow {
  runtime: Runtime;
  relyingParty: RelyingParty;
  transactions: TransactionCookie;
  connectorCookie: ConnectorCookie;
}

/** One flow per router: one relying party (and so one view of the discovery cache) for all its steps. */
export function createSsoFlow(runtime: Runtime): SsoFlow {
  return {
    runtime,
    relyingParty: new RelyingParty(runtime),
    transactions: new TransactionCookie(runtime.options, runtime.secrets),
    connectorCookie: new ConnectorCookie(runtime.options, runtime.secrets),
  };
}

/** Who a sign-in is audited as, and the status it answers with. */
export const ssoContext = (req: Request, status: number): AuditContext => ({
  actor: 'sso',
  requestId: req.identityRequestId ?? null,
  status,
});

/** The refusal page of a sign-in (sso/refusals.ts's text), with its one way forward. */
export function showRefusal(flow: SsoFlow, req: Request, res: Response, refusal: LoginRefusal): void {
  const { options } = flow.runtime;
  const text = REFUSAL_TEXT[refusal.reason];
  // The one refusal with an obvious way forward on this site: the password page.
  const link =
    refusal.reason === 'builtin_login_method' && options.passwordLoginPath
      ? { href: options.passwordLoginPath, text: 'Sign in with your password' }
      : { href: signInUrl(options.mountPath), text: 'Back to sign-in' };
  refusePage(req, res, { ...text, reference: refusal.reason, link }, { html: true });
}

/**
 * A refused sign-in: logged, recorded once through policy (the audit row, `login.failed`) and
 * shown. `tokenVerified`: Entra's ID token was verified, so the refusal is about the account and
 * the connector's SSO is proven to work (policy/sign-in.ts).
 */
export async function refuseSignIn(
  flow: SsoFlow,
  req: Request,
  res: Response,
  connector: Connector | null,
  refusal: LoginRefusal,
  tokenVerified = false,
): Promise<void> {
  const { status } = REFUSAL_TEXT[refusal.reason];
  flow.runtime.logger.warn('sso login refused', {
    connectorId: connector?.id ?? null,
    reason: refusal.reason,
    detail: refusal.detail,
    userId: refusal.userId,
    requestId: req.identityRequestId,
  });
  await flow.runtime.signIns.refused(
    connector,
    { reason: refusal.reason, userId: refusal.userId, status },
    ssoContext(req, status),
    tokenVerified,
  );
  showRefusal(flow, req, res, refusal);
}
