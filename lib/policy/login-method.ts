import { PolicyRefusal } from '../model/errors.js';
import type { Connector, LoginMethod, StoredUser } from '../model/types.js';
import type { AuditContext, AuditWriter } from './audit.js';
import type { UserWrites } from './user-writes.js';

/**
 * "Is SSO configured?", decided once: a sign-in through Entra can start only with an issuer, a
 * client id and a client secret (Entra lets a web application redeem a code only with its secret).
 * The relying party, the login-method default, the switch to SSO and the CLI's listing all ask here.
 */
export function ssoConfigured(connector: Pick<Connector, 'oidc'>): boolean {
  const { issuer, clientId, hasClientSecret } = connector.oidc;
  return Boolean(issuer && clientId && hasClientSecret);
}

/**
 * The login method of a user created without one named (SCIM, the host): the connector's
 * newUserLoginMethod; `auto` is Entra SSO when the connector's SSO is configured, else built-in.
 */
export function newUserLoginMethod(connector: Pick<Connector, 'oidc' | 'settings'>): LoginMethod {
  const setting = connector.settings.newUserLoginMethod;
  if (setting !== 'auto') return setting;
  return ssoConfigured(connector) ? 'sso' : 'builtin';
}

/** Why switching users to SSO would lock them out. */
export type SsoSwitchRefusal = 'sso_not_configured' | 'sso_unverified';

/**
 * "May users be switched to SSO?", decided once for the admin page and the CLI: not when the
 * connector's SSO is not configured, nor before one sign-in through Entra has completed
 * (ssoVerifiedAt): the switch could lock users (and the admin) out behind a connection that never
 * worked. Undefined when the switch may go ahead.
 */
export function ssoSwitchRefusal(
  connector: Pick<Connector, 'id' | 'oidc' | 'ssoVerifiedAt'>,
): PolicyRefusal | undefined {
  if (!ssoConfigured(connector)) {
    return new PolicyRefusal(
      'sso_not_configured',
      `connector ${connector.id} has no OpenID Connect settings (issuer, client id, client secret): ` +
        'configure OpenID Connect for this connector before switching users to SSO',
    );
  }
  if (connector.ssoVerifiedAt) return undefined;
  return new PolicyRefusal(
    'sso_unverified',
    'nobody has signed in through Entra with this connector yet: sign in once with "Sign in with Microsoft" ' +
      '(any account of this organization) to show SSO works, then switch users to it',
  );
}

/** How a switch may proceed. */
export interface SwitchOptions {
  /**
   * The CLI's recovery override: switch although no sign-in through Entra has completed yet
   * (`sso_unverified` only: an unconfigured connector has nothing to sign in with). The audit
   * row says the switch was forced and why.
   */
  force?: boolean;
}

/** Who a refused switch was about, for its audit row. */
interface SwitchTarget {
  resourceType: 'User' | 'Connector';
  resourceId: string;
  from?: LoginMethod;
}

/**
 * The one path of login-method changes (the admin page's toggle and bulk switch, the CLI's
 * recovery command): the switch decision above, a refusal audited before it is thrown, and each
 * user's change through the user-write path (`user.login-method`, in its own transaction).
 */
export class LoginMethods {
  constructor(
    private readonly audit: AuditWriter,
    private readonly users: UserWrites,
  ) {}

  /** Sets one user's login method; answers the user and the method it had. Unchanged users are not written. */
  async set(
    connector: Connector,
    user: StoredUser,
    method: LoginMethod,
    context: AuditContext,
    options: SwitchOptions = {},
  ): Promise<{ user: StoredUser; from: LoginMethod }> {
    const forced = await this.refuseLockout(connector, method, context, user, options);
    if (user.loginMethod === method) return { user, from: method };
    const updated = await this.users.setAccess(
      connector,
      user.id,
      { loginMethod: method },
      context,
      'user.login-method',
      forced,
    );
    return { user: updated, from: user.loginMethod };
  }

  /** The users a bulk switch to `method` would change (all of the connector's, or those of `among`); refused like `set`. */
  async pending(connector: Connector, method: LoginMethod, context: AuditContext, among?: string[]): Promise<string[]> {
    await this.refuseLockout(connector, method, context);
    return this.audit.store.users.idsNotSigningInWith(connector.id, method, among);
  }

  /** Switches these users (from `pending`), one audited write each; answers how many. */
  async setMany(connector: Connector, userIds: string[], method: LoginMethod, context: AuditContext): Promise<number> {
    await this.refuseLockout(connector, method, context);
    for (const id of userIds)
      await this.users.setAccess(connector, id, { loginMethod: method }, context, 'user.login-method');
    return userIds.length;
  }

  /**
   * Refuses (audited, then thrown) a switch of `user` (or of the connector's users) that would lock
   * them out; with `force`, answers what the switch's audit row must say instead.
   */
  async refuseLockout(
    connector: Connector,
    method: LoginMethod,
    context: AuditContext,
    user?: StoredUser,
    options: SwitchOptions = {},
  ): Promise<Record<string, unknown> | undefined> {
    const target: SwitchTarget = user
      ? { resourceType: 'User', resourceId: user.id, from: user.loginMethod }
      : { resourceType: 'Connector', resourceId: connector.id };
    const refusal = method === 'sso' ? ssoSwitchRefusal(connector) : undefined;
    if (!refusal) return undefined;
    if (options.force && refusal.code === 'sso_unverified') return { forced: refusal.code };
    await this.audit.refusal(
      { ...context, status: refusal.status },
      {
        connectorId: connector.id,
        operation: 'user.login-method',
        resourceType: target.resourceType,
        resourceId: target.resourceId,
        status: refusal.status,
        detail: { ...(target.from ? { from: target.from } : {}), to: method, reason: refusal.code },
      },
    );
    throw refusal;
  }
}
