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
 *
 * The answer is a fixed point (`safeReturnTo(safeReturnTo(x)) === safeReturnTo(x)`): the parser
 * normalises dot segments, so `/.//x`, `/..//x` and `/%2e//x` serialise to `//x`, another origin
 * once used as a Location. The serialised form is therefore checked again, and anything that the
 * check would change is refused rather than returned; whichever place re-checks it gets the same value.
 */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  const once = checkedPath(value);
  return once !== undefined && checkedPath(once) === once ? once : fallback;
}

/** The parser's serialisation of a same-site path, or undefined when the value is not one. */
function checkedPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return undefined;
  if (!value.startsWith('/') || value.startsWith('//')) return undefined;
  if (value.includes('\\')) return undefined;
  // C0 controls, DEL and C1 controls; also the Unicode line/paragraph separators.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value, PROBE_ORIGIN);
  } catch {
    return undefined;
  }
  if (parsed.origin !== PROBE_ORIGIN) return undefined;
  // Re-serialised by the parser: what the browser will request is what we checked.
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}
