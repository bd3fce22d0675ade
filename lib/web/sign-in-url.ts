import type { Request } from 'express';
import type { ResolvedOptions } from '../runtime/options.js';

/**
 * Where a browser that must sign in is sent: the connector's sign-in page (home-realm discovery
 * picks Entra or the host's password page), carrying the page it asked for as `returnTo`.
 * originalUrl is always a path on this site; the sign-in routes check returnTo again on receipt.
 */
export function signInUrl(options: Pick<ResolvedOptions, 'mountPath'>, req: Request): string {
  return `${options.mountPath}/sso/signin?${new URLSearchParams({ returnTo: req.originalUrl })}`;
}
