/**
 * The connector's refusals as values: one family, so a host (and each protocol) can tell them
 * apart with `instanceof` and answer with their `status`. Layers above translate them: the SCIM
 * error handler into `urn:…:Error` bodies (`scim/error-handler.ts`), the admin API into JSON
 * errors (`admin/errors.ts`), SSO into refusal pages. Messages are written for the client and
 * never carry SQL, stack traces or secrets; `expose` is false where even that is not so.
 */

/** What every subclass may add: the input field at fault, whether the message may be shown. */
export interface ErrorDetails {
  /** The request field the error is about (`name`, `clientSecret`, …), for forms and JSON answers. */
  field?: string;
  /** False when the message is for the operator's log only (a misconfiguration): clients get a generic text. */
  expose?: boolean;
}

/**
 * The base of every error the connector throws on purpose. `code` is a stable machine-readable
 * name (the admin API's `error` field), `status` the HTTP status an answer carries.
 *
 * @example
 * ```ts
 * import { IdentityConnectorError, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * try {
 *   await identity.workspaces.register('org-1', { id: '' });
 * } catch (error) {
 *   if (error instanceof IdentityConnectorError) console.log(error.status, error.code, error.message);
 * }
 * ```
 */
export abstract class IdentityConnectorError extends Error {
  /** The HTTP status a protocol answers this error with. */
  abstract readonly status: number;
  /** The field at fault, when the error is about one. */
  readonly field?: string;
  /** Whether `message` may be shown to the client. */
  readonly expose: boolean;

  constructor(
    readonly code: string,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
    if (details.field !== undefined) this.field = details.field;
    this.expose = details.expose ?? true;
  }
}

/**
 * A document or request that does not fit the schemas. The reason uses RFC 7644 §3.12's
 * vocabulary because it is the most precise one any of our protocols has.
 */
export type InvalidReason =
  'invalidValue' | 'invalidSyntax' | 'invalidFilter' | 'invalidPath' | 'noTarget' | 'mutability' | 'tooMany';

/** 400: the input is wrong; `reason` says how in SCIM's words, `code` in the admin API's. */
export class InvalidInput extends IdentityConnectorError {
  readonly status = 400;
  constructor(
    readonly reason: InvalidReason,
    message: string,
    details: ErrorDetails & { code?: string } = {},
  ) {
    super(details.code ?? 'invalid_request', message, details);
  }
}

/** An `invalidValue` InvalidInput. */
export const invalidInput = (message: string, field?: string) => new InvalidInput('invalidValue', message, { field });

/**
 * A write the connector's rules refuse:
 * - `protected` (403): a platform-protected user, e.g. an Organization Owner;
 * - `rule` (400): required attributes, allowed values, role mapping;
 * - `paused` (503): a deactivation or deletion while the mass-deprovisioning guard holds the connector;
 * - `sso_not_configured`, `sso_unverified` (409): switching users to SSO would lock them out;
 * - `too_many_live_tokens` (409): a connector has as many live SCIM tokens as it may;
 * - `not_paused` (409): resuming a deprovisioning nobody paused.
 */
export type PolicyRefusalCode =
  'protected' | 'rule' | 'paused' | 'sso_not_configured' | 'sso_unverified' | 'too_many_live_tokens' | 'not_paused';

const REFUSAL_STATUS: Record<PolicyRefusalCode, number> = {
  protected: 403,
  rule: 400,
  paused: 503,
  sso_not_configured: 409,
  sso_unverified: 409,
  too_many_live_tokens: 409,
  not_paused: 409,
};

/** A decision of policy against the request (see PolicyRefusalCode for each code's status). */
export class PolicyRefusal extends IdentityConnectorError {
  declare readonly code: PolicyRefusalCode;
  readonly status: number;
  constructor(code: PolicyRefusalCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
    this.status = REFUSAL_STATUS[code];
  }
}

/** 404: the resource does not exist (or is in an organization the caller cannot see). */
export class NotFound extends IdentityConnectorError {
  readonly status = 404;
  constructor(message: string, details: ErrorDetails = {}) {
    super('not_found', message, details);
  }
}

/** 409: the write would break a uniqueness rule (a name, a link to an Entra object). */
export class Conflict extends IdentityConnectorError {
  readonly status = 409;
  constructor(message: string, details: ErrorDetails = {}) {
    super('conflict', message, details);
  }
}

/** 412: the resource changed since the version the client named (If-Match). */
export class PreconditionFailed extends IdentityConnectorError {
  readonly status = 412;
  constructor(
    message: string,
    readonly currentVersion?: number,
  ) {
    super('precondition_failed', message);
  }
}

/** 503: something the connector needs is away (the database, the identity provider); retry later. */
export class Unavailable extends IdentityConnectorError {
  readonly status = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super('unavailable', message);
  }
}

/**
 * A callback's error as an Error for a promise to reject with: callback APIs (express-session's regenerate,
 * passport's login/logout) may pass anything; what is not an Error becomes `message`, the original as its cause.
 */
export function asError(error: unknown, message: string): Error {
  return error instanceof Error ? error : new Error(message, { cause: error });
}
