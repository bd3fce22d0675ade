import { entraObjectIdOf } from '../model/entra-ids.js';
import { Conflict, IdentityConnectorError, InvalidInput, PolicyRefusal } from '../model/errors.js';
import type { Connector, ConnectorSettings, StoredUser } from '../model/types.js';
import type { AuditContext } from '../policy/audit.js';
import type { UserWrites } from '../policy/user-writes.js';
import type { Runtime } from '../web/runtime.js';
import { refuse, type LoginRefusal } from './refusals.js';
import type { IdTokenClaims } from './relying-party.js';

/** An ID token claim a connector may match a sign-in's account by against userName (its `ssoMatchClaims`). */
export type MatchClaim = ConnectorSettings['ssoMatchClaims'][number];

/** How a sign-in found its user: by the Entra object id, or by a claim against userName. */
export type AccountMatchedBy = 'oid' | MatchClaim;

/**
 * The outcome of matching a sign-in to a user: the user, how it was found and whether just-in-time provisioning
 * created it, or the refusal.
 */
export type AccountMatch =
  { ok: true; user: StoredUser; matchedBy: AccountMatchedBy; created: boolean } | { ok: false; refusal: LoginRefusal };

const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Finds the provisioned user an Entra account signs in as.
 *
 * 1. `oid` = the user's Entra object id: recorded from a GUID externalId (the objectId →
 *    externalId mapping) or learnt at an earlier sign-in. `oid` is the account's immutable id in
 *    its tenant, so this is the match to trust. Several users with it is a provisioning error:
 *    refuse rather than guess. Users written before the column existed are found by externalId.
 * 2. Otherwise the connector's `ssoMatchClaims`, in order, against userName (case-insensitive,
 *    as userName is). Entra's default mapping sends externalId = mailNickname, which names no
 *    account: it is no link. A user already tied to another `oid` (learnt, or a GUID externalId)
 *    is someone else's account with a recycled name: refused. `email` counts only when Entra says
 *    it is verified, because a tenant admin can set any unverified address on an account ("nOAuth").
 *    When the connector's tenant was checked (`tid`), the match is learnt (`user.sso-link`), so
 *    the next sign-in is by `oid` and a renamed account keeps its user.
 * 3. Nobody: created when the connector allows just-in-time provisioning, else refused.
 */
export async function matchAccount(
  runtime: Pick<Runtime, 'store' | 'users'>,
  connector: Connector,
  claims: IdTokenClaims,
  context: AuditContext,
): Promise<AccountMatch> {
  const { store } = runtime;
  const oid = typeof claims.oid === 'string' && claims.oid ? claims.oid : undefined;
  if (!oid) return { ok: false, refusal: refuse('missing_claims', { detail: 'oid' }) };

  const byObjectId = await store.users.findByEntraObjectId(connector.id, oid.toLowerCase());
  const byOid = byObjectId.length ? byObjectId : await store.users.findByExternalId(connector.id, oid, 2);
  if (byOid.length > 1)
    return { ok: false, refusal: refuse('ambiguous_user', { detail: 'several users share this Entra object id' }) };
  if (byOid.length === 1) return learnt(runtime, connector, byOid[0], oid, 'oid', context);

  for (const claim of connector.settings.ssoMatchClaims) {
    const userName = usableClaim(claims, claim);
    if (!userName) continue;
    const user = await store.users.findByUserName(connector.id, userName);
    if (!user) continue;
    const linkedTo = user.entraObjectId ?? entraObjectIdOf(user.externalId);
    if (linkedTo && linkedTo !== oid.toLowerCase()) {
      return { ok: false, refusal: refuse('external_id_mismatch', { userId: user.id, detail: `matched by ${claim}` }) };
    }
    return learnt(runtime, connector, user, oid, claim, context);
  }

  if (!connector.settings.ssoJitProvisioning) return { ok: false, refusal: refuse('no_such_user') };
  return createJustInTime(runtime.users, connector, claims, oid, context);
}

/**
 * The match, with its `oid` recorded on the user when it is not yet and the connector's tenant
 * vouched for the token (relying-party.ts checked `tid`): without a tenant id an `oid` could come
 * from any directory the issuer serves, so it is used for this sign-in but not kept.
 */
async function learnt(
  runtime: Pick<Runtime, 'users'>,
  connector: Connector,
  user: StoredUser,
  oid: string,
  matchedBy: AccountMatchedBy,
  context: AuditContext,
): Promise<AccountMatch> {
  if (user.entraObjectId !== null || !connector.oidc.tenantId) return { ok: true, user, matchedBy, created: false };
  try {
    return {
      ok: true,
      user: await runtime.users.learnEntraObjectId(connector, user.id, oid, context),
      matchedBy,
      created: false,
    };
  } catch (error) {
    // Another sign-in tied the user to another account in the meantime.
    if (error instanceof Conflict)
      return { ok: false, refusal: refuse('external_id_mismatch', { userId: user.id, detail: 'linked meanwhile' }) };
    throw error;
  }
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
async function createJustInTime(
  users: UserWrites,
  connector: Connector,
  claims: IdTokenClaims,
  oid: string,
  context: AuditContext,
): Promise<AccountMatch> {
  const claim = connector.settings.ssoMatchClaims.find((c) => usableClaim(claims, c));
  const userName = claim ? usableClaim(claims, claim) : undefined;
  if (!claim || !userName)
    return {
      ok: false,
      refusal: refuse('missing_claims', { detail: `none of ${connector.settings.ssoMatchClaims.join(', ')}` }),
    };
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const email = usableClaim(claims, 'email');
  const document: Record<string, unknown> = { schemas: [CORE_USER_SCHEMA], userName, externalId: oid, active: true };
  if (str(claims.name)) document.displayName = str(claims.name);
  if (str(claims.given_name) || str(claims.family_name))
    document.name = { givenName: str(claims.given_name), familyName: str(claims.family_name) };
  if (email) document.emails = [{ type: 'work', value: email, primary: true }];
  if (Array.isArray(claims.roles))
    document.roles = claims.roles
      .filter((r): r is string => typeof r === 'string' && r !== '')
      .map((value) => ({ value }));
  try {
    const user = await users.create(connector, document, context, { loginMethod: 'sso' });
    return { ok: true, user, matchedBy: claim, created: true };
  } catch (error) {
    if (error instanceof IdentityConnectorError && error.status === 409)
      return { ok: false, refusal: refuse('jit_conflict') };
    if (error instanceof PolicyRefusal || error instanceof InvalidInput)
      return { ok: false, refusal: refuse('jit_refused', { detail: error.message }) };
    throw error;
  }
}

/**
 * What a matched user may do through SSO: in this order, so the most actionable reason is shown.
 * The web portal needs a web role; the platform's apps do not (the modelled platform: "users …
 * will only be granted app login access" until a role gives web access).
 */
export function accessRefusal(user: StoredUser, channel: 'web' | 'app' = 'web'): LoginRefusal | undefined {
  if (!user.active) return refuse('user_inactive', { userId: user.id });
  if (user.loginMethod !== 'sso') return refuse('builtin_login_method', { userId: user.id });
  if (channel === 'web' && user.webRole === null) return refuse('no_web_role', { userId: user.id });
  return undefined;
}
