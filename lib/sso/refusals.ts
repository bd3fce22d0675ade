/**
 * Why a sign-in through Entra was refused. Every failure of the flow is one of these values (never
 * an exception), so the callback can answer with the right page and status, and the audit log,
 * the `login.failed` event and the tests all speak the same reason codes.
 */
export type LoginRefusalReason =
  // The connector and its settings
  | 'connector_unknown'
  | 'sso_not_configured'
  | 'provider_unavailable'
  | 'client_rejected'
  // The browser transaction (cookie + state)
  | 'transaction_missing'
  | 'transaction_expired'
  | 'state_missing'
  | 'state_mismatch'
  // The authorization response and the token exchange
  | 'provider_error'
  | 'code_rejected'
  // The ID token
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'nonce_mismatch'
  | 'token_expired'
  | 'signature_invalid'
  | 'tenant_mismatch'
  | 'id_token_invalid'
  | 'missing_claims'
  // Matching the Entra account to a provisioned user
  | 'no_such_user'
  | 'ambiguous_user'
  | 'external_id_mismatch'
  | 'jit_conflict'
  | 'jit_refused'
  // What the matched user may do
  | 'user_inactive'
  | 'builtin_login_method'
  | 'no_web_role';

/** A refused sign-in as a value: the reason in the one vocabulary, and what the log may add. */
export interface LoginRefusal {
  reason: LoginRefusalReason;
  /** For the log only (never shown, never audited verbatim): e.g. the provider's error code. */
  detail?: string;
  /** Known when the refusal came after matching a user. */
  userId?: string;
}

/** A {@link LoginRefusal} of this reason, with an optional log detail and user id. */
export const refuse = (reason: LoginRefusalReason, extra: Omit<LoginRefusal, 'reason'> = {}): LoginRefusal => ({
  reason,
  ...extra,
});

interface RefusalText {
  status: 400 | 403 | 404 | 502;
  title: string;
  message: string;
}

/**
 * What the person in front of the browser reads. Protocol failures (400) say "start again"
 * because that is what fixes them; policy refusals (403) say who can change the decision.
 * None of them says more about an account than the person already proved by signing in.
 */
export const REFUSAL_TEXT: Record<LoginRefusalReason, RefusalText> = {
  connector_unknown: {
    status: 404,
    title: 'Unknown organization',
    message: 'This sign-in link does not belong to any organization. Ask your administrator for the correct link.',
  },
  sso_not_configured: {
    status: 403,
    title: 'Single sign-on is not set up',
    message: 'Your organization has not finished setting up sign-in with Microsoft Entra ID. Ask your administrator.',
  },
  provider_unavailable: {
    status: 502,
    title: 'Microsoft Entra ID is unreachable',
    message: "We could not reach your organization's identity provider. Please try again in a few minutes.",
  },
  client_rejected: {
    status: 502,
    title: 'Sign-in is misconfigured',
    message:
      "Microsoft Entra ID refused this application's credentials. Ask your administrator to check the client id and secret.",
  },
  transaction_missing: {
    status: 400,
    title: 'Sign-in session not found',
    message: 'This sign-in was not started in this browser, or it was already used. Please start again.',
  },
  transaction_expired: {
    status: 400,
    title: 'Sign-in took too long',
    message: 'The sign-in expired before it was completed. Please start again.',
  },
  state_missing: {
    status: 400,
    title: 'Invalid sign-in response',
    message: 'The response from Microsoft Entra ID is missing its state. Please start again.',
  },
  state_mismatch: {
    status: 400,
    title: 'Invalid sign-in response',
    message:
      'The response from Microsoft Entra ID does not belong to the sign-in started in this browser. Please start again.',
  },
  provider_error: {
    status: 400,
    title: 'Sign-in was not completed',
    message: 'Microsoft Entra ID did not complete the sign-in (it was cancelled or refused). Please start again.',
  },
  code_rejected: {
    status: 400,
    title: 'Sign-in could not be completed',
    message: 'The sign-in response was already used or has expired. Please start again.',
  },
  issuer_mismatch: {
    status: 400,
    title: 'Invalid identity token',
    message: "The identity token was not issued by your organization's identity provider.",
  },
  audience_mismatch: {
    status: 400,
    title: 'Invalid identity token',
    message: 'The identity token was issued for another application.',
  },
  nonce_mismatch: {
    status: 400,
    title: 'Invalid identity token',
    message: 'The identity token does not belong to this sign-in. Please start again.',
  },
  token_expired: {
    status: 400,
    title: 'Invalid identity token',
    message: "The identity token has expired. Please start again, and check that this server's clock is correct.",
  },
  signature_invalid: {
    status: 400,
    title: 'Invalid identity token',
    message: "The identity token's signature could not be verified.",
  },
  tenant_mismatch: {
    status: 403,
    title: 'Wrong Microsoft Entra tenant',
    message:
      "You signed in with an account from another organization's directory. Sign out of Microsoft and sign in with your work account for this organization.",
  },
  id_token_invalid: {
    status: 400,
    title: 'Invalid identity token',
    message: 'The identity token could not be validated. Please start again.',
  },
  missing_claims: {
    status: 400,
    title: 'Incomplete identity token',
    message:
      'The identity token does not identify your account (object id missing). Ask your administrator to check the app registration.',
  },
  no_such_user: {
    status: 403,
    title: 'No account for you here',
    message:
      'Your Microsoft account is not linked to a user of this organization. Ask your administrator to assign you to the application.',
  },
  ambiguous_user: {
    status: 403,
    title: 'Account is ambiguous',
    message:
      'Several users of this organization are linked to your Microsoft account. Ask your administrator to fix the provisioning.',
  },
  external_id_mismatch: {
    status: 403,
    title: 'Account is linked to someone else',
    message: 'The user with your name is linked to a different Microsoft account. Ask your administrator.',
  },
  jit_conflict: {
    status: 403,
    title: 'Account could not be created',
    message: 'Your account could not be created because its user name is already in use. Ask your administrator.',
  },
  jit_refused: {
    status: 403,
    title: 'Account could not be created',
    message:
      'Your Microsoft account lacks details this organization requires for new users. Ask your administrator to provision you.',
  },
  user_inactive: {
    status: 403,
    title: 'Account deactivated',
    message: 'Your account is deactivated. Ask your administrator.',
  },
  builtin_login_method: {
    status: 403,
    title: 'Use your password',
    message: 'Your account signs in with a password, not with Microsoft Entra ID. Use the password sign-in page.',
  },
  no_web_role: {
    status: 403,
    title: 'No web access',
    message: 'Your account has app access only. Ask your administrator for a web access role.',
  },
};
