import type { Request } from 'express';

/**
 * The one builder of the connector's sign-in page URL (home-realm discovery picks Entra or the
 * host's password page), optionally carrying the page to return to. originalUrl is always a path
 * on this site; the sign-in routes check returnTo again on receipt.
 */
export function signInUrl(mountPath: string, returnTo?: string): string {
  const page = `${mountPath}/sso/signin`;
  return returnTo === undefined ? page : `${page}?${new URLSearchParams({ returnTo })}`;
}

/** Where a browser that must sign in is sent: the sign-in page, returning to the page it asked for. */
export function signInUrlFor(options: { mountPath: string }, req: Request): string {
  return signInUrl(options.mountPath, req.originalUrl);
}
