import type { IdentityConnectorOptions, ResolvedOptions } from '../runtime/options.js';
import { SecretBox } from '../crypto/secret-box.js';
import { clearCookie, readCookies, setCookie } from '../web/cookies.js';

const NAME = 'idc_serve_user';
/** Signed values carry their purpose, so no other signed cookie of the connector passes for this one. */
const PURPOSE = 'serve-user:';
/** A working day: the admin signs in through Entra again after it. */
const MAX_AGE_MS = 8 * 60 * 60 * 1000;
const SCOPE = { path: '/', maxAgeMs: MAX_AGE_MS, sameSite: 'lax' } as const;

/**
 * Who is signed in, for `serve`: it has no host, so no express-session. A cookie signed with the
 * connector's secret key keeps the user's key and when they signed in (8 hours); the user is read
 * from the store on each request, so a deactivated one is out at once. This is what lets the
 * default authorizeAdmin (adminFromWebRole) admit an EnterpriseAdmin signed in through Entra.
 * `options` is read when a request comes, once the connector has resolved them.
 */
export function servedSignIn(
  secretKey: string,
  options: () => ResolvedOptions,
): Required<Pick<IdentityConnectorOptions, 'signIn' | 'signOut' | 'currentUser'>> {
  const secrets = new SecretBox(secretKey);
  return {
    signIn: (_req, res, user) => {
      const value = secrets.sign(PURPOSE + JSON.stringify([user.connectorId, user.id, Date.now()]));
      setCookie(res, options(), NAME, value, SCOPE);
    },
    signOut: (_req, res) => {
      clearCookie(res, options(), NAME, SCOPE);
    },
    currentUser: (req) => {
      const raw = readCookies(req).get(NAME);
      const payload = raw === undefined ? undefined : secrets.unsign(raw);
      if (!payload?.startsWith(PURPOSE)) return undefined;
      const [connectorId, userId, at] = JSON.parse(payload.slice(PURPOSE.length)) as [string, string, number];
      return Date.now() - at < MAX_AGE_MS ? { connectorId, userId } : undefined;
    },
  };
}
