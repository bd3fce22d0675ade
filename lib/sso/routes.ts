import { errorFields } from '../runtime/log.js';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { noticePage, signInPage } from '../../views/sso.js';
import type { Runtime } from '../web/runtime.js';
import type { Connector, StoredUser } from '../model/types.js';
import { accessRefusal, matchAccount } from './account-matching.js';
import { ConnectorCookie } from './connector-cookie.js';
import { asyncRoute } from '../web/http.js';
import { rawQuery, sendPage } from './http.js';
import { REFUSAL_TEXT, refuse, type LoginRefusal } from './refusals.js';
import { RelyingParty } from './relying-party.js';
import { safeReturnTo } from './return-to.js';
import { TransactionCookie } from './transaction-cookie.js';
import { discoverRealm } from '../policy/sign-in.js';
import type { AuditContext } from '../policy/audit.js';

/** Who a sign-in is audited as, and the status it answers with. */
const ssoContext = (req: Request, status: number): AuditContext => ({ actor: 'sso', requestId: req.identityRequestId ?? null, status });

const MAX_EMAIL_LENGTH = 320;

/**
 * Browser routes under `{mountPath}/sso`:
 *   GET  /, /signin     the sign-in page (email field)
 *   POST /, /signin     home-realm discovery: Entra for `sso` users, the password page for `builtin`
 *   GET  /login         starts the flow for ?connector=ID (&returnTo, &login_hint)
 *   GET  /callback      the redirect URI registered in Entra
 *   GET|POST /logout    host sign-out, then Entra's end-session endpoint
 */
export function createSsoRouter(runtime: Runtime): Router {
  const { options, store, logger } = runtime;
  if (options.allowInsecureIssuer) {
    logger.warn('INSECURE: allowInsecureIssuer is on: http:// OIDC issuers are accepted and ID tokens may travel unencrypted. Use it for local testing only.');
  }
  if (!options.signIn) logger.warn('options.signIn is not set: sign-in through Entra cannot establish a host session and will fail');

  const relyingParty = new RelyingParty(runtime);
  const transactions = new TransactionCookie(options, runtime.secrets);
  const connectorCookie = new ConnectorCookie(options, runtime.secrets);
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });

  const signInUrl = (req: Request) => `${req.baseUrl}/signin`;

  router.get(['/', '/signin'], (req, res) => {
    sendPage(res, 200, signInPage({ action: signInUrl(req), returnTo: safeReturnTo(req.query.returnTo) }));
  });

  router.post(['/', '/signin'], form, asyncRoute(async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const returnTo = safeReturnTo(body.returnTo);
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    if (!email || email.length > MAX_EMAIL_LENGTH || !email.includes('@')) {
      return sendPage(res, 400, signInPage({ action: signInUrl(req), returnTo, email }));
    }
    const realm = await discoverRealm(store, email);
    if (realm.kind === 'sso') return startLogin(req, res, realm.connector, { returnTo, loginHint: email }, 303);
    if (realm.kind === 'several') {
      // Naming the organizations would tell anyone who types the address where it has accounts.
      return sendPage(res, 200, noticePage({
        title: 'Choose your organization',
        message: 'This address is used by several organizations here. Use the sign-in link your organization gave you.',
      }));
    }
    // A built-in account and an address nobody here knows get the same answer, so this form
    // cannot be used to find out which addresses have accounts: the password page (whose own
    // answer to an unknown address is "wrong email or password").
    if (options.passwordLoginPath) return res.redirect(303, `${options.passwordLoginPath}?${new URLSearchParams({ email, returnTo })}`);
    return sendPage(res, 200, noticePage({ title: 'Sign in with your password', message: 'Sign in with your password on this site\'s password sign-in page.' }));
  }));

  router.get('/login', asyncRoute(async (req, res) => {
    const connectorId = typeof req.query.connector === 'string' ? req.query.connector : '';
    const connector = connectorId && connectorId.length <= 64 ? await store.connectors.get(connectorId) : undefined;
    if (!connector) return showRefusal(req, res, refuse('connector_unknown'));
    const loginHint = typeof req.query.login_hint === 'string' && req.query.login_hint.length <= MAX_EMAIL_LENGTH ? req.query.login_hint : undefined;
    return startLogin(req, res, connector, { returnTo: safeReturnTo(req.query.returnTo), loginHint }, 302);
  }));

  async function startLogin(req: Request, res: Response, connector: Connector, request: { returnTo: string; loginHint?: string }, status: 302 | 303) {
    const started = await relyingParty.start(connector, request);
    if (!started.ok) {
      // Nobody authenticated yet: logged for operators, not audited as a sign-in attempt.
      logger.warn('sso login could not start', { connectorId: connector.id, reason: started.refusal.reason, detail: started.refusal.detail, requestId: req.identityRequestId });
      return showRefusal(req, res, started.refusal);
    }
    transactions.write(res, started.value.transaction);
    res.redirect(status, started.value.authorizationUrl.href);
  }

  router.get('/callback', asyncRoute(async (req, res) => {
    const query = rawQuery(req);
    const lookup = transactions.read(req, query.get('state') ?? undefined);
    // Used once, whatever happens next: a replayed callback finds no transaction.
    if (lookup.cookieName) transactions.clear(res, lookup.cookieName);
    if (!lookup.ok) return refuseLogin(req, res, null, refuse(lookup.reason));
    const { transaction } = lookup;

    const connector = await store.connectors.get(transaction.connectorId);
    if (!connector) return refuseLogin(req, res, null, refuse('connector_unknown'));
    req.identityConnectorId = connector.id;

    const completed = await relyingParty.complete(connector, transaction, query);
    if (!completed.ok) return refuseLogin(req, res, connector, completed.refusal);
    // Entra's ID token verified from here on: a refusal marks the connector SSO-verified (policy/sign-in.ts).

    // A just-in-time user is created through the user-write path, audited there as `user.create`.
    const match = await matchAccount(runtime, connector, completed.value, { actor: 'sso', requestId: req.identityRequestId ?? null, status: 302 });
    if (!match.ok) return refuseLogin(req, res, connector, match.refusal, true);

    const denied = accessRefusal(match.user);
    if (denied) return refuseLogin(req, res, connector, denied, true);

    await signIn(req, res, match.user);
    connectorCookie.write(res, connector.id);
    await runtime.signIns.succeeded(connector, match.user, match.matchedBy, ssoContext(req, 302));
    logger.info('sso login succeeded', { connectorId: connector.id, userId: match.user.id, matchedBy: match.matchedBy, requestId: req.identityRequestId });
    res.redirect(302, safeReturnTo(transaction.returnTo));
  }));

  /** A fresh session id before the host marks the session signed in: no session fixation. */
  async function signIn(req: Request, res: Response, user: StoredUser) {
    if (!options.signIn) throw new Error('identity-connector: options.signIn is required for sign-in through Entra');
    const session = (req as Request & { session?: { regenerate?: (done: (error?: unknown) => void) => void } }).session;
    const regenerate = typeof session?.regenerate === 'function' ? session.regenerate.bind(session) : undefined;
    if (regenerate) {
      await new Promise<void>((resolve, reject) => regenerate((error?: unknown) => (error ? reject(error instanceof Error ? error : new Error('the session could not be regenerated')) : resolve())));
    }
    await options.signIn(req, res, user);
  }

  const logout = asyncRoute(async (req, res) => {
    const requested = typeof req.query.connector === 'string' ? req.query.connector : undefined;
    const connectorId = requested && requested.length <= 64 ? requested : connectorCookie.read(req);
    if (options.signOut) await options.signOut(req, res);
    connectorCookie.clear(res);
    const connector = connectorId ? await store.connectors.get(connectorId) : undefined;
    const endSession = connector ? await relyingParty.endSessionUrl(connector, `${options.baseUrl}/`) : undefined;
    res.redirect(303, endSession?.href ?? '/');
  });
  router.get('/logout', logout);
  router.post('/logout', form, logout);

  /** `tokenVerified`: Entra's ID token was verified, so the refusal is about the account (policy/sign-in.ts). */
  async function refuseLogin(req: Request, res: Response, connector: Connector | null, refusal: LoginRefusal, tokenVerified = false) {
    const { status } = REFUSAL_TEXT[refusal.reason];
    logger.warn('sso login refused', { connectorId: connector?.id ?? null, reason: refusal.reason, detail: refusal.detail, userId: refusal.userId, requestId: req.identityRequestId });
    await runtime.signIns.refused(connector, { reason: refusal.reason, userId: refusal.userId, status }, ssoContext(req, status), tokenVerified);
    showRefusal(req, res, refusal);
  }

  function showRefusal(req: Request, res: Response, refusal: LoginRefusal) {
    const text = REFUSAL_TEXT[refusal.reason];
    // The one refusal with an obvious way forward on this site: the password page.
    const link = refusal.reason === 'builtin_login_method' && options.passwordLoginPath
      ? { href: options.passwordLoginPath, text: 'Sign in with your password' }
      : { href: signInUrl(req), text: 'Back to sign-in' };
    sendPage(res, text.status, noticePage({ title: text.title, message: text.message, code: refusal.reason, link }));
  }



  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = typeof (error as { status?: unknown }).status === 'number' && (error as { status: number }).status < 500 ? (error as { status: number }).status : 500;
    logger.error('sso route failed', { path: req.path, status, ...errorFields(error), requestId: req.identityRequestId });
    sendPage(res, status, noticePage({
      title: status === 500 ? 'Something went wrong' : 'Invalid request',
      message: status === 500 ? 'The sign-in could not be completed. Please try again later.' : 'The request could not be processed.',
      link: { href: signInUrl(req), text: 'Back to sign-in' },
    }));
  });

  return router;
}
