import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { errorFields } from '../runtime/log.js';
import { asyncRoute } from '../web/http.js';
import { refuse } from '../web/refuse.js';
import type { Runtime } from '../web/runtime.js';
import { signInUrl } from '../web/sign-in-url.js';
import { createSsoFlow } from './flow.js';
import { completeSignIn } from './steps/callback.js';
import { discoverHomeRealm, showSignInPage } from './steps/discovery.js';
import { signOut } from './steps/logout.js';
import { startFromLink } from './steps/start.js';
import { redeemForApp, startFromApp } from './steps/app.js';

/**
 * Browser routes under `{mountPath}/sso`, one named step each (sso/steps/):
 *   GET  /, /signin     the sign-in page (email field)                       discovery.ts
 *   POST /, /signin     home-realm discovery (decided in policy/sign-in.ts)   discovery.ts
 *   GET  /login         starts the flow for ?connector=ID (&returnTo, &login_hint)   start.ts
 *   GET  /callback      the redirect URI registered in Entra                  callback.ts
 *   GET|POST /logout    host sign-out, then Entra's end-session endpoint      logout.ts
 *   GET  /app/login     a mobile or desktop app's sign-in (RFC 8252)          app.ts
 *   POST /app/token     the app redeems its one-time code (PKCE)              app.ts
 */
export function createSsoRouter(runtime: Runtime): Router {
  const { options, logger } = runtime;
  if (options.allowInsecureIssuer) {
    logger.warn(
      'INSECURE: allowInsecureIssuer is on: http:// OIDC issuers are accepted and ID tokens may travel unencrypted. Use it for local testing only.',
    );
  }
  if (!options.signIn)
    logger.warn('options.signIn is not set: sign-in through Entra cannot establish a host session and will fail');

  const flow = createSsoFlow(runtime);
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const router = express.Router();
  router.get(['/', '/signin'], (req, res) => showSignInPage(flow, req, res));
  router.post(
    ['/', '/signin'],
    form,
    asyncRoute((req, res) => discoverHomeRealm(flow, req, res)),
  );
  router.get(
    '/login',
    asyncRoute((req, res) => startFromLink(flow, req, res)),
  );
  router.get(
    '/callback',
    asyncRoute((req, res) => completeSignIn(flow, req, res)),
  );
  router.get(
    '/logout',
    asyncRoute((req, res) => signOut(flow, req, res)),
  );
  router.post(
    '/logout',
    form,
    asyncRoute((req, res) => signOut(flow, req, res)),
  );
  router.get(
    '/app/login',
    asyncRoute((req, res) => startFromApp(flow, req, res)),
  );
  router.post(
    '/app/token',
    form,
    express.json({ limit: '8kb' }),
    asyncRoute((req, res) => redeemForApp(flow, req, res)),
  );
  router.use(failurePage(runtime));
  return router;
}

/** What a step that threw answers: a page that says so, the cause in the log only. */
function failurePage(runtime: Runtime) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const given = (error as { status?: unknown }).status;
    const status = typeof given === 'number' && given < 500 ? given : 500;
    runtime.logger.error('sso route failed', {
      path: req.path,
      status,
      ...errorFields(error),
      requestId: req.identityRequestId,
    });
    refuse(
      req,
      res,
      {
        status,
        title: status === 500 ? 'Something went wrong' : 'Invalid request',
        message:
          status === 500
            ? 'The sign-in could not be completed. Please try again later.'
            : 'The request could not be processed.',
        link: { href: signInUrl(runtime.options.mountPath), text: 'Back to sign-in' },
      },
      { html: true },
    );
  };
}
