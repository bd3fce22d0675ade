import type { ErrorRequestHandler } from 'express';
import { IdentityConnectorError } from '../model/errors.js';
import { errorFields } from '../runtime/log.js';
import { isDatabaseUnavailable } from '../store/errors.js';
import type { Runtime } from '../web/runtime.js';

/** The admin API's error body: a stable code, the field at fault when there is one, a sentence for the admin. */
export interface AdminErrorBody {
  error: string;
  field?: string;
  message: string;
}

/**
 * The admin API's one error translator (routes throw, this answers): the connector's error family
 * by its status, code and field; body-parser's malformed (400) and too large (413) bodies; 503
 * while the database is away; anything else a logged 500 whose cause stays in the log.
 */
export function adminErrorHandler(runtime: Runtime, bodyLimit: string): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const send = (status: number, body: AdminErrorBody) => void res.status(status).json(body);
    if (error instanceof IdentityConnectorError && error.expose && error.status < 500) {
      return send(error.status, {
        error: error.code,
        ...(error.field ? { field: error.field } : {}),
        message: error.message,
      });
    }
    if (isDatabaseUnavailable(error) || (error instanceof IdentityConnectorError && error.status === 503)) {
      res.setHeader('Retry-After', '5');
      return send(503, { error: 'unavailable', message: 'the identity store is unavailable; try again in a moment' });
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return send(
        status,
        status === 413
          ? { error: 'payload_too_large', message: `body larger than ${bodyLimit}` }
          : { error: 'invalid_request', message: 'malformed JSON body' },
      );
    }
    runtime.logger.error('admin api failed', {
      method: req.method,
      path: req.path,
      ...errorFields(error),
      requestId: req.identityRequestId,
    });
    send(500, { error: 'internal_error', message: 'the request failed; see the server log' });
  };
}
