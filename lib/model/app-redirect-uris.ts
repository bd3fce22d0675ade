/**
 * Redirect URIs of native apps (RFC 8252 §7): where the system browser hands a sign-in back to
 * the platform's mobile or desktop app. Three kinds are allowed:
 *
 * - a private-use URI scheme in reverse-domain form (`com.example.app:/oauth2redirect`, §7.1);
 * - a claimed `https` URL (universal link / app link, §7.2);
 * - the loopback interface, `http://127.0.0.1/…` or `http://[::1]/…` (§7.3); the app listens on
 *   any port it gets, so the port is not compared (§7.3: "MUST allow any port"). `localhost` is
 *   refused (§8.3: it may resolve elsewhere).
 */

const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]'];
/** Reverse-domain private-use scheme: at least one dot, as §7.1 asks. */
const PRIVATE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

/** Why a redirect URI cannot be an app's; undefined when it can. */
export function appRedirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'https:') return url.username || url.password ? 'must not carry credentials' : undefined;
  if (url.protocol === 'http:') {
    if (LOOPBACK_HOSTS.includes(url.hostname)) return undefined;
    return 'may use http only on the loopback interface (127.0.0.1 or [::1])';
  }
  if (PRIVATE_SCHEME.test(url.protocol)) return undefined;
  return 'must be https, loopback http, or a reverse-domain private-use scheme such as com.example.app:/callback';
}

/**
 * Whether the redirect URI an app asked for is one of the registered ones: compared exactly,
 * except that a loopback URI may name any port.
 */
export function isRegisteredAppRedirect(registered: readonly string[], given: string): boolean {
  if (registered.includes(given)) return true;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.includes(url.hostname)) return false;
  url.port = '';
  return registered.includes(url.href);
}
