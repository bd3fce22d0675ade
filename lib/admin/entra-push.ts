import type { Request, Response, Router } from 'express';
import { graphCreateUserBody } from '../model/entra-user.js';
import { initialPassword } from '../model/entra-bulk-csv.js';
import type { Connector, StoredUser } from '../model/types.js';
import type { AuditContext } from '../policy/audit.js';
import { parseEntraAuthority } from '../model/entra-authority.js';
import { Conflict, NotFound } from '../model/errors.js';
import { entraSkipReason } from '../policy/entra-candidates.js';
import type { Runtime } from '../web/runtime.js';
import { adminContext } from './audit-context.js';
import { EntraPushError, GraphClient, type GraphCreateResult } from './graph-client.js';
import { connectorRoute } from './requests.js';

const PAGE = 500;

/** Credentials given for one push instead of the connector's OpenID Connect application. */
export interface EntraPushCredentials {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
}

interface Who {
  userId: string;
  userName: string;
}

/** One user's outcome. A created user's initial password is answered once, like the bulk-create CSV's; it is never stored or logged. */
export type EntraPushResult =
  | (Who & { outcome: 'created'; entraId: string; initialPassword: string })
  | (Who & { outcome: 'skipped'; reason: 'already-linked' | 'protected'; externalId?: string })
  | (Who & { outcome: 'failed'; status: number; code: string; message: string; detailCode?: string; target?: string });

/**
 * What a push of the connector's users into Entra (Microsoft Graph `POST /users`) did: the counts and one result
 * per user, in the order tried.
 */
export interface EntraPushReport {
  connectorId: string;
  created: number;
  skipped: number;
  failed: number;
  /** Set when the push stopped (Graph refused the application): the users after it were not tried. */
  aborted?: { code: string; message: string; notTried: number };
  results: EntraPushResult[];
}

/**
 * The application a push authenticates as: the explicit credentials, else the connector's
 * OpenID Connect application (its secret decrypted as SSO does). Its tenant is the explicit one,
 * else the connector's tenant id, else the tenant named in its issuer (a domain works too).
 */
async function credentialsFor(
  runtime: Runtime,
  connector: Connector,
  given: EntraPushCredentials,
): Promise<{ tenant: string; clientId: string; clientSecret: string }> {
  let issuerTenant: string | undefined;
  try {
    issuerTenant = connector.oidc.issuer
      ? parseEntraAuthority(new URL(connector.oidc.issuer))?.tenantSegment
      : undefined;
  } catch {
    issuerTenant = undefined;
  }
  const tenant = given.tenantId || connector.oidc.tenantId || issuerTenant;
  const clientId = given.clientId || connector.oidc.clientId;
  let clientSecret = given.clientSecret;
  if (!clientSecret && !given.clientId) {
    const sealed = await runtime.store.connectors.encryptedClientSecret(connector.id);
    try {
      clientSecret = sealed ? runtime.secrets.decrypt(sealed) : undefined;
    } catch {
      throw new EntraPushError(
        400,
        'secret_unreadable',
        `the client secret of connector ${connector.id} cannot be decrypted with the current secretKey; set it again`,
      );
    }
  }
  if (!tenant || !clientId || !clientSecret) {
    throw new EntraPushError(
      400,
      'not_configured',
      "no application to push with: configure the connector's OpenID Connect (tenant, client id, client secret) or give tenantId, clientId and clientSecret",
    );
  }
  return { tenant, clientId, clientSecret };
}

/** Why a user is not pushed: the one decision of policy/entra-candidates.ts, with who it is. */
function skipReason(user: StoredUser): Extract<EntraPushResult, { outcome: 'skipped' }> | undefined {
  const reason = entraSkipReason(user);
  if (!reason) return undefined;
  return {
    userId: user.id,
    userName: user.userName,
    outcome: 'skipped',
    reason,
    ...(user.externalId !== null ? { externalId: user.externalId } : {}),
  };
}

/** Every user of the connector, paged in SQL, oldest first: the skipped ones are reported too. */
async function allUsers(runtime: Runtime, connector: Connector): Promise<StoredUser[]> {
  const users: StoredUser[] = [];
  let cursor: string | null | undefined = null;
  do {
    const page = await runtime.store.users.list(connector.id, { cursor, count: PAGE });
    users.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return users;
}

/**
 * The modelled platform: "users can be imported from our platform into Entra", by Microsoft
 * Graph. Each user without an Entra object is created there (`POST /users`, at most
 * `entraPush.concurrency` at once) and its new object id recorded as its externalId through the
 * user-write path (audited `user.entra-push`): a second push skips it. A user Graph refuses
 * (an existing userPrincipalName, a domain the tenant has not verified…) is reported with Graph's
 * code and message and the others go on; when Graph refuses the application itself the push stops.
 */
export async function pushUsersToEntra(
  runtime: Runtime,
  connector: Connector,
  given: EntraPushCredentials,
  context: AuditContext,
): Promise<EntraPushReport> {
  const credentials = await credentialsFor(runtime, connector, given);
  const graph = new GraphClient({
    settings: connector.settings.entraPush,
    ...credentials,
    allowInsecure: runtime.options.allowInsecureIssuer,
  });
  await graph.accessToken();

  const users = await allUsers(runtime, connector);
  const results: Array<EntraPushResult | undefined> = users.map(skipReason);
  const queue = users.map((user, index) => ({ user, index })).filter(({ index }) => !results[index]);
  let next = 0;
  let aborted: EntraPushError | undefined;

  const pushOne = async (user: StoredUser): Promise<EntraPushResult> => {
    const who = { userId: user.id, userName: user.userName };
    const password = initialPassword();
    const answer: GraphCreateResult = await graph.createUser(graphCreateUserBody(user, password));
    if (!answer.ok) {
      const { ok: _ok, ...failure } = answer;
      runtime.logger.warn('entra push: Graph refused a user', {
        connectorId: connector.id,
        userId: user.id,
        status: failure.status,
        graphCode: failure.code,
        detailCode: failure.detailCode,
        requestId: context.requestId ?? undefined,
      });
      return { ...who, outcome: 'failed', ...failure };
    }
    try {
      await runtime.users.linkToEntraObject(connector, user.id, answer.id, context);
    } catch (error) {
      // Created in Entra, but the user changed or went meanwhile: say so, with the object to clean up.
      if (!(error instanceof Conflict || error instanceof NotFound)) throw error;
      return {
        ...who,
        outcome: 'failed',
        status: 0,
        code: 'not_linked',
        message: `created in Entra as ${answer.id}, but not linked: ${error.message}`,
      };
    }
    return { ...who, outcome: 'created', entraId: answer.id, initialPassword: password };
  };

  const worker = async () => {
    while (!aborted && next < queue.length) {
      const { user, index } = queue[next++];
      try {
        results[index] = await pushOne(user);
      } catch (error) {
        if (!(error instanceof EntraPushError)) throw error;
        aborted = error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(connector.settings.entraPush.concurrency, queue.length) }, worker));

  const done = results.filter((r): r is EntraPushResult => r !== undefined);
  const count = (outcome: EntraPushResult['outcome']) => done.filter((r) => r.outcome === outcome).length;
  const report: EntraPushReport = {
    connectorId: connector.id,
    created: count('created'),
    skipped: count('skipped'),
    failed: count('failed'),
    ...(aborted
      ? { aborted: { code: aborted.code, message: aborted.message, notTried: users.length - done.length } }
      : {}),
    results: done,
  };
  runtime.logger.info('entra push finished', {
    connectorId: connector.id,
    created: report.created,
    skipped: report.skipped,
    failed: report.failed,
    aborted: aborted?.code,
    requestId: context.requestId ?? undefined,
  });
  return report;
}

/** Only the credential fields, as strings: anything else in the body is not passed on. */
function credentialsInput(body: Record<string, unknown>): EntraPushCredentials | string {
  const given: EntraPushCredentials = {};
  for (const key of ['tenantId', 'clientId', 'clientSecret'] as const) {
    const value = body[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' || value.length > 1024 || /[\u0000-\u001f\u007f]/.test(value)) return key;
    given[key] = value.trim();
  }
  // A secret belongs to an application: naming another client without its secret would send the connector's.
  if (given.clientId && !given.clientSecret) return 'clientSecret';
  return given;
}

/**
 *   POST /api/connectors/:id/entra-push    { "tenantId"?, "clientId"?, "clientSecret"? }
 * Creates the connector's users that Entra does not have yet in Entra (Microsoft Graph) and
 * answers the per-user report. Behind the admin guard, the CSRF check and the admin's scope.
 */
export function registerEntraPushRoutes(api: Router, runtime: Runtime): void {
  api.post(
    '/connectors/:id/entra-push',
    connectorRoute(runtime, async (req: Request, res: Response, connector: Connector) => {
      const given = credentialsInput((req.body ?? {}) as Record<string, unknown>);
      if (typeof given === 'string')
        return res.status(400).json({
          error: 'invalid_request',
          field: given,
          message: `${given} must be given as text${given === 'clientSecret' ? " (with clientId, the application's secret)" : ''}`,
        });
      try {
        res.json(await pushUsersToEntra(runtime, connector, given, await adminContext(runtime, req, 200)));
      } catch (error) {
        if (!(error instanceof EntraPushError)) throw error;
        res.status(error.status).json({ error: error.code, message: error.message });
      }
    }),
  );
}
