import type { Request, Response } from 'express';
import type { StoredUser } from '../../model/types.js';
import { asError } from '../../model/errors.js';
import type { ResolvedOptions } from '../../runtime/options.js';

type RegeneratingSession = { regenerate?: (done: (error?: unknown) => void) => void };

/** Session: a fresh session id before the host marks the session signed in (no session fixation). */
export async function establishSession(
  options: Pick<ResolvedOptions, 'signIn'>,
  req: Request,
  res: Response,
  user: StoredUser,
): Promise<void> {
  if (!options.signIn) throw new Error('identity-connector: options.signIn is required for sign-in through Entra');
  const session = (req as Request & { session?: RegeneratingSession }).session;
  if (typeof session?.regenerate === 'function') {
    await new Promise<void>((resolve, reject) =>
      session.regenerate((error?: unknown) =>
        error ? reject(asError(error, 'the session could not be regenerated')) : resolve(),
      ),
    );
  }
  await options.signIn(req, res, user);
}
