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
    /** A stable machine-readable name (`invalid_request`, `protected`, `not_found`, …): the admin API's `error` field. */
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

/**
 * 400: the input is wrong; `reason` says how in SCIM's words (RFC 7644 §3.12 `scimType`), `code` in the admin
 * API's (`invalid_request`, `invalid_settings`, `invalid_oidc_settings`). Thrown by every write of
 * `identity.users` and `identity.groups` whose body does not fit the connector's schemas (RFC 7643).
 *
 * @example
 * ```ts
 * import { InvalidInput, type Connector, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * declare const connector: Connector;
 * try {
 *   await identity.users.create(connector, { userName: 42 }, { actor: 'host' });
 * } catch (error) {
 *   if (error instanceof InvalidInput) console.log(`${error.reason} at ${error.field ?? 'the body'}: ${error.message}`);
 *   else throw error;
 * }
 * ```
 */
export class InvalidInput extends IdentityConnectorError {
  /** Always 400 Bad Request. */
  readonly status = 400;
  constructor(
    /** How the input is wrong, as RFC 7644 §3.12's `scimType` (e.g. `invalidValue`, `mutability`). */
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

/**
 * A decision of policy against the request (see {@link PolicyRefusalCode} for each code's status): the input is
 * well formed, but the connector's rules do not allow the change.
 *
 * @example
 * ```ts
 * import { PolicyRefusal, type Connector, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * declare const connector: Connector;
 * try {
 *   await identity.users.delete(connector, 'a-user-id', { actor: 'host' });
 * } catch (error) {
 *   if (error instanceof PolicyRefusal && error.code === 'protected') console.log('a protected user stays');
 *   else if (error instanceof PolicyRefusal && error.code === 'paused') console.log('deprovisioning is paused');
 *   else throw error;
 * }
 * ```
 */
export class PolicyRefusal extends IdentityConnectorError {
  /** Which rule refused the change. */
  declare readonly code: PolicyRefusalCode;
  /** The status of the code: 403 `protected`, 400 `rule`, 503 `paused`, 409 for the others. */
  readonly status: number;
  constructor(code: PolicyRefusalCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
    this.status = REFUSAL_STATUS[code];
  }
}

/**
 * 404: the resource does not exist (or is in an organization the caller cannot see). Code `not_found`.
 *
 * @example
 * ```ts
 * import { NotFound, type Connector, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * declare const connector: Connector;
 * try {
 *   await identity.users.setAccess(connector, 'a-user-id', { webRole: 'Admin' }, { actor: 'host' });
 * } catch (error) {
 *   if (error instanceof NotFound) console.log('no such user: deleted by Entra meanwhile?');
 *   else throw error;
 * }
 * ```
 */
export class NotFound extends IdentityConnectorError {
  /** Always 404 Not Found. */
  readonly status = 404;
  constructor(message: string, details: ErrorDetails = {}) {
    super('not_found', message, details);
  }
}

/**
 * 409: the write would break a uniqueness rule (a name, a link to an Entra object), or several existing users
 * match a create's `matchOnCreate` key. Code `conflict`.
 *
 * @example
 * ```ts
 * import { Conflict, type Connector, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * declare const connector: Connector;
 * try {
 *   await identity.users.linkToEntraObject(connector, 'a-user-id', '00000000-0000-0000-0000-000000000001', {
 *     actor: 'host',
 *   });
 * } catch (error) {
 *   if (error instanceof Conflict) console.log(`already linked: ${error.message}`);
 *   else throw error;
 * }
 * ```
 */
export class Conflict extends IdentityConnectorError {
  /** Always 409 Conflict. */
  readonly status = 409;
  constructor(message: string, details: ErrorDetails = {}) {
    super('conflict', message, details);
  }
}

/**
 * 412: the resource changed since the version the client named (`If-Match`, RFC 7644 §3.14; `expectedVersion` in
 * the host's calls). Read the resource again and retry with its version. Code `precondition_failed`.
 *
 * @example
 * ```ts
 * import { PreconditionFailed, type Connector, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * declare const connector: Connector;
 * try {
 *   await identity.users.replace(connector, 'a-user-id', { userName: 'ada@example.com' }, { actor: 'host' }, {
 *     expectedVersion: 3,
 *   });
 * } catch (error) {
 *   if (error instanceof PreconditionFailed) console.log(`changed meanwhile; now at version ${error.currentVersion}`);
 *   else throw error;
 * }
 * ```
 */
export class PreconditionFailed extends IdentityConnectorError {
  /** Always 412 Precondition Failed. */
  readonly status = 412;
  constructor(
    message: string,
    /** The resource's version now, when known: what a retry's `expectedVersion` should name after re-reading. */
    readonly currentVersion?: number,
  ) {
    super('precondition_failed', message);
  }
}

/**
 * 503: something the connector needs is away (the database, the identity provider); retry later. The SCIM and
 * admin answers carry `Retry-After` from `retryAfterSeconds`. Code `unavailable`.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { Unavailable } from 'identity-connector';
 * const app = express();
 * app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
 *   if (!(error instanceof Unavailable)) return next(error);
 *   res.set('Retry-After', String(error.retryAfterSeconds ?? 5)).status(503).send('try again shortly');
 * });
 * ```
 */
export class Unavailable extends IdentityConnectorError {
  /** Always 503 Service Unavailable. */
  readonly status = 503;
  constructor(
    message: string,
    /** How long to wait before retrying, in seconds, when the connector knows. */
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
