/**
 * Who is signed in, the three ways a host can keep it: the connector's own key in
 * express-session (the default: `req.session.identity`), passport's `req.user` (identity.passport),
 * or the host's own signIn/signOut/currentUser options. Every reader (requireWebRole, the admin
 * pages, `identity.currentUser`) asks `options.currentUser`, whichever of the three it is.
 */
import type { Request } from 'express';
import type { ResolvedOptions } from '../runtime/options.js';
import type { IdentityStore } from '../store/index.js';
import type { LoginMethod, StoredUser, WebRole } from '../model/types.js';
import { asError } from '../model/errors.js';
// The augmentation below needs the module in the program: the build lists only Node's types.
import type {} from 'express-session';

/** What a session keeps of the signed-in user: the row's key, nothing that could go stale. */
export interface SignedInKey {
  /** The connector the user belongs to. */
  connectorId: string;
  /** The user's id within it. */
  userId: string;
}

declare module 'express-session' {
  interface SessionData {
    /** The user signed in through identity-connector (the default signIn writes it). */
    identity?: SignedInKey;
  }
}

/** The signed-in user as `identity.currentUser(req)` answers it: read from the store on each call, so a role change applies at once. */
export interface CurrentUser extends SignedInKey {
  /** The host's organization the user's connector provisions into: scope the host's data by it. */
  organizationId: string;
  /** The user's SCIM userName (Entra: usually the UPN). */
  userName: string;
  /** The user's display name, when provisioned with one. */
  displayName: string | null;
  /** ReadOnly < User < Admin < EnterpriseAdmin; null: app login only. */
  webRole: WebRole | null;
  /** How the user signs in. */
  loginMethod: LoginMethod;
}

type SessionLike = { identity?: SignedInKey; regenerate?: unknown };
const sessionOf = (req: Request) => (req as Request & { session?: SessionLike }).session;

/** signIn/signOut/currentUser over express-session's `req.session.identity`: what a host gets when it passes none. */
export const sessionSignIn: Required<Pick<ResolvedOptions, 'signIn' | 'signOut' | 'currentUser'>> = {
  signIn: (req, _res, user) => {
    const session = sessionOf(req);
    if (!session)
      throw new Error(
        'identity-connector: no req.session: mount express-session before identity.router, or pass options.signIn',
      );
    session.identity = { connectorId: user.connectorId, userId: user.id };
  },
  signOut: (req) => {
    const session = sessionOf(req);
    if (session) delete session.identity;
  },
  currentUser: (req) => sessionOf(req)?.identity,
};

/** The shape of the host's passport this needs (passport's Authenticator; typed here so hosts need no @types/passport). */
export interface PassportLike {
  /** Registers a serializer: what of `req.user` the session keeps (passport's `serializeUser`). */
  serializeUser(fn: (user: unknown, done: (error: unknown, id?: unknown) => void) => void): void;
  /** Registers a deserializer: the `req.user` a kept session value becomes (passport's `deserializeUser`). */
  deserializeUser(fn: (id: unknown, done: (error: unknown, user?: unknown) => void) => void): void;
}

type PassportRequest = Request & {
  user?: unknown;
  login?: (user: unknown, done: (error?: unknown) => void) => void;
  logout?: (done: (error?: unknown) => void) => void;
};

const isKey = (value: unknown): value is SignedInKey =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SignedInKey).connectorId === 'string' &&
  typeof (value as SignedInKey).userId === 'string';

/**
 * The connector's users in the host's passport: the session keeps `{ connectorId, userId }`
 * (serializeUser), `req.user` becomes the CurrentUser (deserializeUser; a user deactivated or
 * deleted since is signed out). Anything else is passed on ('pass') to the host's own
 * serializers. Sign-in through Entra calls `req.login` (passport regenerates the session),
 * sign-out `req.logout`, and the current user is `req.user`.
 */
export function passportSignIn(
  store: IdentityStore,
  passport: PassportLike,
): Required<Pick<ResolvedOptions, 'signIn' | 'signOut' | 'currentUser'>> {
  passport.serializeUser((user, done) =>
    isKey(user) ? done(null, { connectorId: user.connectorId, userId: user.userId }) : done('pass'),
  );
  passport.deserializeUser((id, done) => {
    if (!isKey(id)) return done('pass');
    loadCurrentUser(store, id).then((user) => done(null, user ?? false), done);
  });
  return {
    signIn: (req, _res, user) =>
      new Promise<void>((resolve, reject) => {
        const signingIn = req as PassportRequest;
        if (!signingIn.login)
          return reject(
            new Error('identity-connector: req.login is missing: mount passport.session() before identity.router'),
          );
        signingIn.login({ connectorId: user.connectorId, userId: user.id }, (error) =>
          error ? reject(asError(error, 'passport could not sign the user in')) : resolve(),
        );
      }),
    signOut: (req) =>
      new Promise<void>((resolve, reject) => {
        const signingOut = req as PassportRequest;
        if (!signingOut.logout) return resolve();
        signingOut.logout((error) =>
          error ? reject(asError(error, 'passport could not sign the user out')) : resolve(),
        );
      }),
    currentUser: (req) => {
      const user = (req as PassportRequest).user;
      return isKey(user) ? { connectorId: user.connectorId, userId: user.userId } : undefined;
    },
  };
}

/** The active user behind a key, as CurrentUser; undefined when gone or deactivated. */
export async function loadCurrentUser(store: IdentityStore, key: SignedInKey): Promise<CurrentUser | undefined> {
  const user = await store.users.get(key.connectorId, key.userId);
  if (!user?.active) return undefined;
  const connector = await store.connectors.get(user.connectorId);
  return connector ? toCurrentUser(user, connector.organizationId) : undefined;
}

function toCurrentUser(user: StoredUser, organizationId: string): CurrentUser {
  return {
    connectorId: user.connectorId,
    userId: user.id,
    organizationId,
    userName: user.userName,
    displayName: user.displayName ?? null,
    webRole: user.webRole,
    loginMethod: user.loginMethod,
  };
}

/** The signed-in user of a request, whichever way the host keeps it (options.currentUser). */
export async function currentUser(
  store: IdentityStore,
  options: Pick<ResolvedOptions, 'currentUser'>,
  req: Request,
): Promise<CurrentUser | null> {
  const key = options.currentUser ? await options.currentUser(req) : undefined;
  return (key && (await loadCurrentUser(store, key))) || null;
}
