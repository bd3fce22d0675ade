import type { Request, Response } from 'express';
import { noticePage, signInPage } from '../../../views/sso.js';
import { discoverRealm } from '../../policy/sign-in.js';
import { sendPage } from '../../web/refuse.js';
import { signInUrl } from '../../web/sign-in-url.js';
import { MAX_EMAIL_LENGTH, type SsoFlow } from '../flow.js';
import { safeReturnTo } from '../return-to.js';
import { startSignIn } from './start.js';

/** `GET /signin`: the sign-in page (one email field). */
export function showSignInPage(flow: SsoFlow, req: Request, res: Response): void {
  sendPage(
    res,
    200,
    signInPage({ action: signInUrl(flow.runtime.options.mountPath), returnTo: safeReturnTo(req.query.returnTo) }),
  );
}

/**
 * `POST /signin`: home-realm discovery. policy/sign-in.ts decides where the address goes; this
 * step only shows it: Entra, a choice that names no organization, or the password page.
 */
export async function discoverHomeRealm(flow: SsoFlow, req: Request, res: Response): Promise<void> {
  const { options, store } = flow.runtime;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const returnTo = safeReturnTo(body.returnTo);
  const email = typeof body.email === 'string' ? body.email.trim() : '';
  if (!email || email.length > MAX_EMAIL_LENGTH || !email.includes('@')) {
    return sendPage(res, 400, signInPage({ action: signInUrl(options.mountPath), returnTo, email }));
  }
  const realm = await discoverRealm(store, email);
  if (realm.kind === 'sso') return startSignIn(flow, req, res, realm.connector, { returnTo, loginHint: email }, 303);
  if (realm.kind === 'several') {
    return sendPage(
      res,
      200,
      noticePage({
        title: 'Choose your organization',
        message: 'This address is used by several organizations here. Use the sign-in link your organization gave you.',
      }),
    );
  }
  if (options.passwordLoginPath)
    return res.redirect(303, `${options.passwordLoginPath}?${new URLSearchParams({ email, returnTo })}`);
  sendPage(
    res,
    200,
    noticePage({
      title: 'Sign in with your password',
      message: "Sign in with your password on this site's password sign-in page.",
    }),
  );
}
