import { randomBytes } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { Connector } from '../model/types.js';
import { asyncRoute } from '../web/http.js';
import { adminPage, noConnectorsPage, type AdminPageModel } from '../../views/admin.js';
import { PAGE_HEADERS } from '../../views/layout.js';
import { signInUrl } from '../web/sign-in-url.js';
import { noticePage } from '../../views/sso.js';
import { auditJson } from './audit-api.js';
import { adminScope } from './authorize.js';
import { describeConnector, listGroups } from './connectors-api.js';
import { connectorsInScope, optionalInt } from './requests.js';
import { listTokens } from './tokens-api.js';
import { searchFilter } from './users-api.js';

const USERS_PER_PAGE = 50;
const GROUPS_IN_PICKER = 200;
const LOG_ENTRIES = 25;
const MAX_SEARCH_LENGTH = 256;

/**
 * The page's CSP: only this response's inline style and script run (nonce), the script may only
 * talk to our own origin, forms only post here, nothing may frame it.
 */
function pageHeaders(nonce: string): Record<string, string> {
  return {
    ...PAGE_HEADERS,
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  };
}

function sendNotice(res: Response, status: number, notice: Parameters<typeof noticePage>[0]): void {
  res.status(status).set(PAGE_HEADERS).type('html').send(noticePage(notice));
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim().slice(0, MAX_SEARCH_LENGTH) : '');

async function loadModel(runtime: Runtime, req: Request, connector: Connector, connectors: Connector[], nonce: string): Promise<AdminPageModel> {
  const { store, options } = runtime;
  const usersFilter = text(req.query.q);
  const groupsFilter = text(req.query.groups);
  const startIndex = optionalInt(req.query.start, { min: 1, max: Number.MAX_SAFE_INTEGER }, 1) ?? 1;
  const count = Math.min(USERS_PER_PAGE, options.maxPageSize);
  const users = await store.users.list(connector.id, { filter: usersFilter ? searchFilter(usersFilter) : undefined, startIndex, count });
  const groups = await listGroups(runtime, connector.id, groupsFilter, Math.min(GROUPS_IN_PICKER, options.maxPageSize));
  // The current default group stays selectable even when the picker shows only some groups.
  if (connector.defaultGroupId && !groups.groups.some((g) => g.id === connector.defaultGroupId)) {
    const current = await store.groups.get(connector.id, connector.defaultGroupId);
    if (current) groups.groups.unshift({ id: current.id, displayName: current.displayName });
  }
  return {
    base: `${options.mountPath}/admin`,
    nonce,
    connectors: connectors.map((c) => ({ id: c.id, organizationId: c.organizationId, name: c.name })),
    connector: await describeConnector(runtime, connector),
    tokens: await listTokens(store, connector.id),
    groups: { filter: groupsFilter, ...groups },
    users: {
      filter: usersFilter, startIndex, count, totalResults: users.totalResults,
      items: users.items,
    },
    log: (await store.audit.list(connector.id, { limit: LOG_ENTRIES })).map(auditJson),
  };
}

/**
 *   GET {mountPath}/admin                   the first connector's page (most hosts have one per organization)
 *   GET {mountPath}/admin/connectors/:id    a given connector's page
 * Server-rendered, behind options.authorizeAdmin with an HTML refusal; every change the page
 * makes goes through the JSON API (and so through its CSRF check).
 */
export function registerAdminPages(router: Router, runtime: Runtime): void {
  const { options } = runtime;

  const render = asyncRoute(async (req, res) => {
    const scope = await adminScope(runtime, req);
    if (!scope) {
      return sendNotice(res, 403, {
        title: 'Administrators only',
        message: 'This page is for the platform\'s administrators. Sign in with an administrator account to open it.',
        link: { href: signInUrl(options, req), text: 'Sign in' },
      });
    }
    req.identityAdminScope = scope;
    const connectors = await connectorsInScope(runtime, req);
    const wanted = req.params.id === undefined ? connectors[0] : connectors.find((c) => c.id === req.params.id);
    const nonce = randomBytes(18).toString('base64');
    if (!connectors.length) return res.status(200).set(pageHeaders(nonce)).type('html').send(noConnectorsPage(nonce));
    if (!wanted) return sendNotice(res, 404, { title: 'No such connector', message: 'This connector does not exist (any more).', link: { href: `${options.mountPath}/admin`, text: 'All connectors' } });
    req.identityConnectorId = wanted.id;
    res.status(200).set(pageHeaders(nonce)).type('html').send(adminPage(await loadModel(runtime, req, wanted, connectors, nonce)));
  });

  router.get('/', render);
  router.get('/connectors/:id', render);
}
