import type { Request, Response } from 'express';
import { redeemAppCode, readAppRequest } from '../app-sign-in.js';
import { MAX_EMAIL_LENGTH, showRefusal, ssoContext, type SsoFlow } from '../flow.js';
import { REFUSAL_TEXT, refuse } from '../refusals.js';
import { refuse as refusePage } from '../../web/refuse.js';
import { startSignIn } from './start.js';

/** The longest connector id a query may name (ids are UUIDs). */
const MAX_CONNECTOR_ID_LENGTH = 64;

/**
 * `GET /app/login?connector=ID&redirect_uri&code_challenge&code_challenge_method=S256&state`: a
 * mobile or desktop app's sign-in, opened in the system browser (RFC 8252, app-sign-in.ts).
 */
export async function startFromApp(flow: SsoFlow, req: Request, res: Response): Promise<void> {
  const connectorId = typeof req.query.connector === 'string' ? req.query.connector : '';
  const connector =
    connectorId && connectorId.length <= MAX_CONNECTOR_ID_LENGTH
      ? await flow.runtime.store.connectors.get(connectorId)
      : undefined;
  if (!connector) return showRefusal(flow, req, res, refuse('connector_unknown'));
  const read = readAppRequest(flow.runtime.options, req.query);
  if (!read.ok)
    return refusePage(
      req,
      res,
      { status: 400, title: "The app's sign-in request is invalid", message: read.message },
      { html: true },
    );
  const hint = req.query.login_hint;
  const loginHint = typeof hint === 'string' && hint.length <= MAX_EMAIL_LENGTH ? hint : undefined;
  return startSignIn(flow, req, res, connector, { returnTo: '/', loginHint, app: read.app }, 302);
}

/**
 * `POST /app/token`: the app redeems its one-time code with its PKCE verifier; the host's
 * `signInApp` answers the app's session. The outcome is recorded once through policy, as the web's.
 */
export async function redeemForApp(flow: SsoFlow, req: Request, res: Response): Promise<void> {
  const { runtime } = flow;
  res.set('Cache-Control', 'no-store');
  const redeemed = await redeemAppCode(runtime.store, (req.body ?? {}) as Record<string, unknown>);
  if (!redeemed.ok && redeemed.error !== 'access_denied') {
    res.status(400).json({ error: redeemed.error, error_description: redeemed.description });
    return;
  }
  const connector = await runtime.store.connectors.get(redeemed.connectorId);
  if (!redeemed.ok || !connector) {
    const refusal = redeemed.ok ? refuse('connector_unknown') : redeemed.refusal;
    runtime.logger.warn('sso app sign-in refused', {
      connectorId: redeemed.connectorId,
      reason: refusal.reason,
      userId: refusal.userId,
      requestId: req.identityRequestId,
    });
    await runtime.signIns.refused(
      connector ?? null,
      { reason: refusal.reason, userId: refusal.userId, status: 403 },
      ssoContext(req, 403),
    );
    res.status(403).json({
      error: 'access_denied',
      error_description: REFUSAL_TEXT[refusal.reason].message,
      reason: refusal.reason,
    });
    return;
  }
  if (!runtime.options.signInApp)
    throw new Error('identity-connector: options.signInApp is required for sign-in of the apps');
  const session = await runtime.options.signInApp(req, redeemed.user);
  await runtime.signIns.succeeded(connector, redeemed.user, `${redeemed.matchedBy} (app)`, ssoContext(req, 200));
  runtime.logger.info('sso app sign-in succeeded', {
    connectorId: connector.id,
    userId: redeemed.user.id,
    requestId: req.identityRequestId,
  });
  res.status(200).json(session);
}
