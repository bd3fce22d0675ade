import type { Request, Response } from 'express';
import { accessRefusal, matchAccount } from '../account-matching.js';
import { refuseSignIn, ssoContext, type SsoFlow } from '../flow.js';
import { rawQuery } from '../http.js';
import { refuse } from '../refusals.js';
import { safeReturnTo } from '../return-to.js';
import { establishSession } from './session.js';
import { handOverToApp } from '../app-sign-in.js';

/**
 * `GET /callback`, the redirect URI registered in Entra, as its named steps: the transaction
 * (used once), the token exchange and ID-token checks (relying-party.ts), account matching
 * (account-matching.ts), the access decision (accessRefusal), the session, and the outcome
 * recorded once through policy (policy/sign-in.ts).
 */
export async function completeSignIn(flow: SsoFlow, req: Request, res: Response): Promise<void> {
  const { runtime, transactions, relyingParty, connectorCookie } = flow;
  const query = rawQuery(req);
  const lookup = transactions.read(req, query.get('state') ?? undefined);
  // Used once, whatever happens next: a replayed callback finds no transaction.
  if (lookup.cookieName) transactions.clear(res, lookup.cookieName);
  if (!lookup.ok) return refuseSignIn(flow, req, res, null, refuse(lookup.reason));
  const { transaction } = lookup;

  const connector = await runtime.store.connectors.get(transaction.connectorId);
  if (!connector) return refuseSignIn(flow, req, res, null, refuse('connector_unknown'));
  req.identityConnectorId = connector.id;

  const completed = await relyingParty.complete(connector, transaction, query);
  if (!completed.ok) return refuseSignIn(flow, req, res, connector, completed.refusal);
  // Entra's ID token is verified from here on: every outcome proves the connector's SSO works.

  // A just-in-time user is created through the user-write path, audited there as `user.create`.
  const match = await matchAccount(runtime, connector, completed.value, ssoContext(req, 302));
  if (!match.ok) return refuseSignIn(flow, req, res, connector, match.refusal, true);
  const denied = accessRefusal(match.user, transaction.app ? 'app' : 'web');
  if (denied) return refuseSignIn(flow, req, res, connector, denied, true);
  if (transaction.app) {
    // The app's session is issued when it redeems the code (`/app/token`, steps/app.ts), with its PKCE verifier.
    runtime.logger.info('sso app sign-in code issued', {
      connectorId: connector.id,
      userId: match.user.id,
      matchedBy: match.matchedBy,
      requestId: req.identityRequestId,
    });
    return res.redirect(
      302,
      await handOverToApp(runtime.store, connector.id, match.user, match.matchedBy, transaction.app),
    );
  }

  await establishSession(runtime.options, req, res, match.user);
  connectorCookie.write(res, connector.id);
  await runtime.signIns.succeeded(connector, match.user, match.matchedBy, ssoContext(req, 302));
  runtime.logger.info('sso login succeeded', {
    connectorId: connector.id,
    userId: match.user.id,
    matchedBy: match.matchedBy,
    requestId: req.identityRequestId,
  });
  res.redirect(302, safeReturnTo(transaction.returnTo));
}
