import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'winston';
import type { ResolvedOptions } from '../runtime/options.js';
import { isMigrated } from '../store/migrate.js';
import { continueWhenSettled } from './http.js';
import type { IdentityStore } from '../store/index.js';

/**
 * Warns once when the router is reached under another path than options.mountPath: the redirect
 * URI and SCIM locations are built from mountPath, so Entra would be sent elsewhere. The first
 * request tells where the host mounted it.
 */
export function mountPathCheck(options: ResolvedOptions): RequestHandler {
  let checked = false;
  return (req, _res, next) => {
    if (!checked) {
      checked = true;
      // Express matches mount paths without regard to case.
      if (req.baseUrl.toLowerCase() !== options.mountPath.toLowerCase()) {
        options.logger.warn(
          `identity-connector: identity.router is mounted at "${req.baseUrl}" but options.mountPath is "${options.mountPath}"; the redirect URI and SCIM locations use mountPath. Mount it with app.use('${options.mountPath}', identity.router) or change mountPath.`,
        );
      }
    }
    next();
  };
}

const NOT_MIGRATED =
  'identity-connector: the identity tables do not exist in this database yet; run `await identity.migrate()` at start-up (or the Knex CLI with the shipped knexfile)';

/** A protocol's own answer to the not-migrated 503 (SCIM's error body); false leaves it to the plain-text one. */
export type NotMigratedAnswer = (req: Request, res: Response, detail: string) => boolean;

/**
 * Until the tables exist, requests get a 503 that names the fix, rather than "no such table":
 * in the protocol's own shape when `answer` takes the path (a SCIM body with Retry-After), else plain text.
 */
export function schemaCheck(
  store: IdentityStore,
  logger: Logger,
  answer: NotMigratedAnswer = () => false,
): RequestHandler {
  let migrated = false;
  let logged = false;
  return (req, res, next) => {
    if (migrated) return next();
    continueWhenSettled(isMigrated(store.knex, store.tablePrefix), res, next, (yes) => {
      if (yes) {
        migrated = true;
        return next();
      }
      if (!logged) logger.error(NOT_MIGRATED);
      logged = true;
      if (!answer(req, res, NOT_MIGRATED)) res.status(503).type('text/plain').send(NOT_MIGRATED);
    });
  };
}
