const MAX_LENGTH = 1024;
const PROBE_ORIGIN = 'http://return-to.invalid';

/**
 * Where to send the browser after sign-in: only a path on this site, else `/`.
 *
 * Browsers are lenient in ways that turn a "path" into another origin: `//evil.example` is
 * protocol-relative, `/\evil.example` is read as `//evil.example` (backslash = slash), and tabs
 * or newlines inside the scheme are stripped (`/\t/evil.example`). So refuse backslashes and
 * every control character outright, then confirm with the URL parser that resolving the value
 * against a fixed origin stays on that origin.
 */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return fallback;
  if (!value.startsWith('/') || value.startsWith('//')) return fallback;
  if (value.includes('\\')) return fallback;
  // C0 controls, DEL and C1 controls; also the Unicode line/paragraph separators.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(value, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (parsed.origin !== PROBE_ORIGIN) return fallback;
  // Re-serialised by the parser: what the browser will request is what we checked.
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}
