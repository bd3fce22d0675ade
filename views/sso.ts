import { html } from './html.js';
import { page } from './layout.js';

export interface SignInPageModel {
  /** Where the form posts (the sign-in route itself). */
  action: string;
  returnTo: string;
  email?: string;
}

/** Home-realm discovery: the email decides whether the person goes to Entra or to the password page. */
export function signInPage(model: SignInPageModel): string {
  return page(
    'Sign in',
    html`
<h1>Sign in</h1>
<form method="post" action="${model.action}">
  <label for="email">Work email</label>
  <input id="email" name="email" type="email" autocomplete="username" required autofocus value="${model.email ?? ''}">
  <input type="hidden" name="returnTo" value="${model.returnTo}">
  <button type="submit">Continue</button>
</form>
<p class="muted">If your organization uses Microsoft Entra ID, you will sign in with your work account.</p>`,
  );
}

export interface NoticeModel {
  title: string;
  message: string;
  link?: { href: string; text: string };
  /** A reason code for support, shown small (never account details). */
  code?: string;
}

/** Refusals and neutral answers: a title, one sentence, one way forward. */
export function noticePage(model: NoticeModel): string {
  return page(
    model.title,
    html`
<h1>${model.title}</h1>
<p>${model.message}</p>
${model.link ? html`<p><a class="button" href="${model.link.href}">${model.link.text}</a></p>` : ''}
${model.code ? html`<p class="code">Reference: ${model.code}</p>` : ''}`,
  );
}
