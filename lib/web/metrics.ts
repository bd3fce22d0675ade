/**
 * Prometheus metrics per connector, in the host's prom-client registry (options.metrics). Everything
 * is counted in this one module, from two taps: the SCIM request's lifecycle (a middleware first in
 * the SCIM router, and an error middleware before the error handler) and the connector's events
 * (sign-ins, database conflicts). The paused-deprovisioning gauge is read from the store at each
 * scrape, so that it is right whichever instance paused or resumed a connector.
 *
 * Label values are bounded: a connector's id (only once its token was verified), fixed vocabularies
 * for resources, methods, refusal and sign-in reasons, and the answered status. Nothing the client
 * sends (a path, an endpoint segment, a filter) becomes a label value.
 *
 * prom-client is an optional peer dependency: it is imported here, when options.metrics is given,
 * and nowhere else. A metric that fails to count is logged (at most once a minute), never thrown
 * into a request.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type * as PromClient from 'prom-client';
import type { Logger } from 'winston';
import type { IdentityEvents } from '../model/events.js';
import { PolicyRefusal } from '../model/errors.js';
import { errorFields } from '../runtime/log.js';
import { OptionsError, type MetricsOptions } from '../runtime/options.js';
import type { IdentityStore } from '../store/index.js';

/** Every metric's name starts with this. */
export const METRIC_PREFIX = 'identity_connector_';

/** The connector label of what no verified token names (a failed authentication, a sign-in with no connector). */
export const NO_CONNECTOR = 'none';

/** The SCIM router's taps: `requests` first, `refusals` just before the error handler. */
export interface ScimMetrics {
  requests: RequestHandler;
  refusals: ErrorRequestHandler;
}

/** The resource label: the first path segment, spelt as RFC 7643 names it; anything else is `other`. */
const RESOURCES = new Map(
  ['Users', 'Groups', 'ServiceProviderConfig', 'Schemas', 'ResourceTypes', 'Bulk'].map((name) => [
    name.toLowerCase(),
    name,
  ]),
);
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** A reason code as the connector spells them (`no_such_user`, `paused`); anything else is counted as `other`. */
const REASON = /^[a-z][a-z_]{0,39}$/;
/** Latency buckets (seconds): a lookup takes about a millisecond, the database deadline answers at 5 s. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A scrape does not wait longer than this on the store for the paused connectors: it shows the last answer. */
const PAUSED_READ_TIMEOUT_MS = 2000;
const FAILURE_LOG_INTERVAL_MS = 60_000;

/** The first path segment of a SCIM request, as a resource label. */
export function resourceLabel(path: string): string {
  const end = path.indexOf('/', 1);
  return RESOURCES.get(path.slice(1, end === -1 ? undefined : end).toLowerCase()) ?? 'other';
}

const reasonLabel = (reason: string | undefined) => (reason && REASON.test(reason) ? reason : 'other');

/**
 * Loads prom-client, registers the connector's metrics in the host's registry and subscribes to
 * the connector's events. Throws an OptionsError at start-up when prom-client is not installed or
 * the registry already holds these metrics (one registry per connector instance).
 */
export async function createMetrics(
  options: MetricsOptions,
  deps: { events: IdentityEvents; store: IdentityStore; logger: Logger },
): Promise<ScimMetrics> {
  const prom = await importPromClient();
  const registers = [options.registry as unknown as PromClient.Registry];
  const safely = failureLog(deps.logger);
  const name = (suffix: string) => {
    const full = METRIC_PREFIX + suffix;
    if (options.registry.getSingleMetric(full) !== undefined)
      throw new OptionsError(
        `options.metrics.registry already holds ${full}: give each connector instance a registry of its own`,
      );
    return full;
  };

  const requests = new prom.Counter({
    name: name('scim_requests_total'),
    help: 'SCIM requests answered, by connector, resource, method and status (429: rate limited; 503: unavailable or paused).',
    labelNames: ['connector', 'resource', 'method', 'status'] as const,
    registers,
  });
  const duration = new prom.Histogram({
    name: name('scim_request_duration_seconds'),
    help: 'Time from the SCIM router receiving a request to its answer being sent, by connector, resource and method.',
    labelNames: ['connector', 'resource', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const refusals = new prom.Counter({
    name: name('provisioning_refusals_total'),
    help: "SCIM writes the connector's policy refused, by connector and refusal code (protected, rule, paused, …).",
    labelNames: ['connector', 'reason'] as const,
    registers,
  });
  const signIns = new prom.Counter({
    name: name('sign_ins_total'),
    help: 'Sign-ins through Entra and login-method checks, by connector and result (success, or the refusal reason).',
    labelNames: ['connector', 'result'] as const,
    registers,
  });
  const conflicts = new prom.Counter({
    name: name('database_conflicts_total'),
    help: 'Writes that lost a database race (deadlock, certification failure): retried, or gave_up (answered 503).',
    labelNames: ['result'] as const,
    registers,
  });
  let paused: string[] = [];
  new prom.Gauge({
    name: name('deprovisioning_paused'),
    help: 'Connectors whose deactivations and deletions the mass-deprovisioning guard holds (1) until an admin resumes them.',
    labelNames: ['connector'] as const,
    registers,
    async collect() {
      paused = await within(PAUSED_READ_TIMEOUT_MS, deps.store.connectors.pausedDeprovisioning()).catch(
        (error: unknown) => {
          safely.failed(error);
          return paused;
        },
      );
      this.reset();
      for (const connector of paused) this.set({ connector }, 1);
    },
  });

  deps.events.on('login.succeeded', ({ connectorId }) =>
    safely.run(() => signIns.inc({ connector: connectorId ?? NO_CONNECTOR, result: 'success' })),
  );
  deps.events.on('login.failed', ({ connectorId, reason }) =>
    safely.run(() => signIns.inc({ connector: connectorId ?? NO_CONNECTOR, result: reasonLabel(reason) })),
  );
  deps.events.on('database.conflict', ({ retried }) =>
    safely.run(() => conflicts.inc({ result: retried ? 'retried' : 'gave_up' })),
  );

  const record = (req: Request, res: Response, resource: string, started: number) => {
    const connector = req.identityConnectorId ?? NO_CONNECTOR;
    const method = METHODS.has(req.method) ? req.method : 'other';
    requests.inc({ connector, resource, method, status: res.statusCode });
    duration.observe({ connector, resource, method }, (performance.now() - started) / 1000);
  };
  return {
    requests(req, res, next) {
      const started = performance.now();
      const resource = resourceLabel(req.path);
      res.once('finish', () => safely.run(() => record(req, res, resource, started)));
      next();
    },
    refusals(error, req, _res, next) {
      if (error instanceof PolicyRefusal)
        safely.run(() =>
          refusals.inc({ connector: req.identityConnectorId ?? NO_CONNECTOR, reason: reasonLabel(error.code) }),
        );
      next(error);
    },
  };
}

async function importPromClient(): Promise<typeof PromClient> {
  try {
    return await import('prom-client');
  } catch (error) {
    throw new OptionsError(
      `options.metrics needs prom-client, an optional peer dependency: npm install prom-client (${(error as Error).message})`,
    );
  }
}

/** Runs a metric's update; what it throws goes to the log, at most once a minute, and never further. */
function failureLog(logger: Logger) {
  let loggedAt = -Infinity;
  const failed = (error: unknown) => {
    if (performance.now() - loggedAt < FAILURE_LOG_INTERVAL_MS) return;
    loggedAt = performance.now();
    logger.warn('a metric could not be updated', errorFields(error));
  };
  return {
    failed,
    run(update: () => void) {
      try {
        update();
      } catch (error) {
        failed(error);
      }
    },
  };
}

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
