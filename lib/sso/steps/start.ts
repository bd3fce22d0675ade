import type { Request, Response } from 'express';
import type { Connector } from '../../model/types.js';
import { MAX_EMAIL_LENGTH, showRefusal, type SsoFlow } from '../flow.js';
import { refuse } from '../refusals.js';
import { safeReturnTo } from '../return-to.js';
import type { AppRequest } from '../transaction-cookie.js';

/** The longest connector id a query may name (ids are UUIDs). */
const MAX_CONNECTOR_ID_LENGTH = 64;

/** Start: the transaction cookie (state, nonce, PKCE) and the redirect to Entra's authorization endpoint. */
export async function startSignIn(
  flow: SsoFlow,
  req: Request,
  res: Response,
  connector: Connector,
  request: { returnTo: string; loginHint?: string; app?: AppRequest },
  status: 302 | 303,
): Promise<void> {
  const started = await flow.relyingParty.start(connector, request);
  if (!started.ok) {
    // Nobody authenticated yet: logged for operators, not audited as a sign-in attempt.
    flow.runtime.logger.warn('sso login could not start', {
      connectorId: connector.id,
      reason: started.refusal.reason,
      detail: started.refusal.detail,
      requestId: req.identityRequestId,
    });
    return showRefusal(flow, req, res, started.refusal);
  }
  flow.transactions.write(res, started.value.transaction);
  res.redirect(status, started.value.authorizationUrl.href);
}

/** `GET /login?connector=ID (&returnTo, &login_hint)`: a sign-in link an organization hands out. */
export async function startFromLink(flow: SsoFlow, req: Request, res: Response): Promise<void> {
  const connectorId = typeof req.query.connector === 'string' ? req.query.connector : '';
  const connector =
    connectorId && connectorId.length <= MAX_CONNECTOR_ID_LENGTH
      ? await flow.runtime.store.connectors.get(connectorId)
      : undefined;
  if (!connector) return showRefusal(flow, req, res, refuse('connector_unknown'));
  const hint = req.query.login_hint;
  const loginHint = typeof hint === 'string' && hint.length <= MAX_EMAIL_LENGTH ? hint : undefined;
  return startSignIn(flow, req, res, connector, { returnTo: safeReturnTo(req.query.returnTo), loginHint }, 302);
}
