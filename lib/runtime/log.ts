import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import winston, { type Logger } from 'winston';

/** A quiet default: warnings and errors as JSON lines; LOG_LEVEL raises it. */
export function defaultLogger(): Logger {
  return winston.createLogger({
    level: process.env.LOG_LEVEL ?? 'warn',
    format: winston.format.combine(winston.format.timestamp(), redact(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

const SECRET_KEYS =
  /^(authorization|token|password|client_?secret|secret|cookie|code|id_token|access_token|refresh_token)$/i;

/** Drops values of secret-looking fields, whoever logs them. */
export const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
  }
  return info;
});

declare module 'express-serve-static-core' {
  interface Request {
    identityRequestId?: string;
    identityConnectorId?: string;
  }
}

/**
 * One structured line per request to the connector: id, component (scim, sso, admin),
 * connector, method, path (no query: it may hold filters with PII or an authorization code),
 * status, duration.
 */
export function requestLogger(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    // Read now: while sub-routers handle it, req.path is relative to them.
    const component = req.path.split('/')[1] || 'root';
    const incoming = req.get('x-request-id');
    req.identityRequestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.identityRequestId);
    res.on('finish', () => {
      const level = res.statusCode >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.log(level, 'request', {
        component,
        requestId: req.identityRequestId,
        connectorId: req.identityConnectorId ?? null,
        method: req.method,
        path: (req.originalUrl ?? req.url).split('?')[0],
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
      });
    });
    next();
  };
}

/**
 * What a log line may say about an unexpected error: its name, driver code and stack frames,
 * not its message, which for database errors holds SQL text and values.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorType: typeof error };
  return {
    errorName: error.name,
    errorCode: (error as { code?: unknown }).code ?? null,
    frames: (error.stack ?? '')
      .split('\n')
      .slice(1, 8)
      .map((l) => l.trim()),
  };
}
