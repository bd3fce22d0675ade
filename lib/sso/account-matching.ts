import { InvalidInput, PolicyRefusal, IdentityConnectorError } from '../model/errors.js';
import type { Connector, ConnectorSettings, StoredUser } from '../model/types.js';
import type { AuditContext } from '../policy/audit.js';
import type { UserWrites } from '../policy/user-writes.js';
import type { Runtime } from '../web/runtime.js';
import { refuse, type LoginRefusal } from './refusals.js';
import type { IdTokenClaims } from './relying-party.js';

export type MatchClaim = ConnectorSettings['ssoMatchClaims'][number];

export type AccountMatch =
  | { ok: true; user: StoredUser; matchedBy: 'oid' | MatchClaim; created: boolean }
  | { ok: false; refusal: LoginRefusal };

const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Finds the provisioned user an Entra account signs in as.
 *
 * 1. `oid` = externalId. `oid` is the account's immutable object id in its tenant, and Entra's
 *    SCIM provisioning sends it as externalId by default, so this is the match to trust. More
 *    than one user with that externalId is a provisioning error: refuse rather than guess.
 * 2. Otherwise the connector's `ssoMatchClaims`, in order, against userName (case-insensitive,
 *    as userName is). A user whose externalId is set to another `oid` is someone else's account
 *    with a recycled name: refused. `email` counts only when Entra says it is verified, because a
 *    tenant admin can set any unverified address on an account ("nOAuth").
 * 3. Nobody: created when the connector allows just-in-time provisioning, else refused.
 */
export async function matchAccount(runtime: Pick<Runtime, 'store' | 'users'>, connector: Connector, claims: IdTokenClaims, context: AuditContext): Promise<AccountMatch> {
  const { store } = runtime;
  const oid = typeof claims.oid === 'string' && claims.oid ? claims.oid : undefined;
  if (!oid) return { ok: false, refusal: refuse('missing_claims', { detail: 'oid' }) };

  const byOid = await store.users.findByExternalId(connector.id, oid, 2);
  if (byOid.length > 1) return { ok: false, refusal: refuse('ambiguous_user', { detail: 'several users share this externalId' }) };
  if (byOid.length === 1) return { ok: true, user: byOid[0], matchedBy: 'oid', created: false };

  for (const claim of connector.settings.ssoMatchClaims) {
    const userName = usableClaim(claims, claim);
    if (!userName) continue;
    const user = await store.users.findByUserName(connector.id, userName);
    if (!user) continue;
    if (user.externalId && user.externalId !== oid) {
      return { ok: false, refusal: refuse('external_id_mismatch', { userId: user.id, detail: `matched by ${claim}` }) };
    }
    return { ok: true, user, matchedBy: claim, created: false };
  }

  if (!connector.settings.ssoJitProvisioning) return { ok: false, refusal: refuse('no_such_user') };
  return createJustInTime(runtime.users, connector, claims, oid, context);
}

/** The claim's value when it may identify the account; undefined otherwise. */
export function usableClaim(claims: IdTokenClaims, claim: MatchClaim): string | undefined {
  const value = claims[claim];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (claim === 'email' && !emailVerified(claims)) return undefined;
  return value.trim();
}

/** `email_verified` (OIDC) or Entra's optional `xms_edov` (email domain owner verified). */
function emailVerified(claims: IdTokenClaims): boolean {
  const truthy = (v: unknown) => v === true || v === 1 || v === 'true' || v === '1';
  return truthy(claims.email_verified) || truthy(claims.xms_edov);
}

/**
 * A user created at first sign-in takes the same write path as a SCIM POST: the connector's
 * required attributes and allowed values apply, and the web role comes from the `roles` claim
 * through the same interpreter as SCIM `roles`.
 */
async function createJustInTime(users: UserWrites, connector: Connector, claims: IdTokenClaims, oid: string, context: AuditContext): Promise<AccountMatch> {
  const claim = connector.settings.ssoMatchClaims.find((c) => usableClaim(claims, c));
  const userName = claim ? usableClaim(claims, claim) : undefined;
  if (!claim || !userName) return { ok: false, refusal: refuse('missing_claims', { detail: `none of ${connector.settings.ssoMatchClaims.join(', ')}` }) };
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const email = usableClaim(claims, 'email');
  const document: Record<string, unknown> = { schemas: [CORE_USER_SCHEMA], userName, externalId: oid, active: true };
  if (str(claims.name)) document.displayName = str(claims.name);
  if (str(claims.given_name) || str(claims.family_name)) document.name = { givenName: str(claims.given_name), familyName: str(claims.family_name) };
  if (email) document.emails = [{ type: 'work', value: email, primary: true }];
  if (Array.isArray(claims.roles)) document.roles = claims.roles.filter((r): r is string => typeof r === 'string' && r !== '').map((value) => ({ value }));
  try {
    const user = await users.create(connector, document, context, { loginMethod: 'sso' });
    return { ok: true, user, matchedBy: claim, created: true };
  } catch (error) {
    if (error instanceof IdentityConnectorError && error.status === 409) return { ok: false, refusal: refuse('jit_conflict') };
    if (error instanceof PolicyRefusal || error instanceof InvalidInput) return { ok: false, refusal: refuse('jit_refused', { detail: error.message }) };
    throw error;
  }
}

/** What a matched user may do through SSO: in this order, so the most actionable reason is shown. */
export function accessRefusal(user: StoredUser): LoginRefusal | undefined {
  if (!user.active) return refuse('user_inactive', { userId: user.id });
  if (user.loginMethod !== 'sso') return refuse('builtin_login_method', { userId: user.id });
  if (user.webRole === null) return refuse('no_web_role', { userId: user.id });
  return undefined;
}
