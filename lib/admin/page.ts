import { randomBytes } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { Connector } from '../model/types.js';
import type { ConnectorPage } from '../store/connectors.js';
import { asyncRoute } from '../web/http.js';
import { adminPage, adminUserPage, noConnectorsPage, type AdminPageModel } from '../../views/admin.js';
import { PAGE_HEADERS } from '../../views/layout.js';
import { signInUrlFor } from '../web/sign-in-url.js';
import { refuse } from '../web/refuse.js';
import { logQuery, readLog } from './audit-api.js';
import { adminScope } from './authorize.js';
import { describeConnector, listGroups } from './connectors-api.js';
import { connectorsInScope, connectorsPerPage, optionalInt, scopedConnector } from './requests.js';
import { listTokens } from './tokens-api.js';
import { searchFilter } from './users-api.js';
import { listWorkspaces } from './workspaces-api.js';
import { entraMappingSheet } from '../model/entra-mapping-sheet.js';
import { presetNamed } from '../model/presets.js';
import { ssoSwitchRefusal } from '../policy/login-method.js';
import { tokenCreationRefusal } from '../policy/tokens.js';

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

/** The admin pages' refusals: always the notice page (web/refuse.ts), the pages are for browsers. */
function sendNotice(
  req: Request,
  res: Response,
  status: number,
  notice: { title: string; message: string; link?: { href: string; text: string } },
): void {
  refuse(req, res, { status, ...notice }, { html: true });
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim().slice(0, MAX_SEARCH_LENGTH) : '');

async function loadModel(
  runtime: Runtime,
  req: Request,
  connector: Connector,
  menu: ConnectorPage,
  nonce: string,
): Promise<AdminPageModel> {
  const { store, options } = runtime;
  const usersOnly = req.identityAdminScope?.manages === 'users';
  const usersFilter = text(req.query.q);
  const groupsFilter = text(req.query.groups);
  const startIndex = optionalInt(req.query.start, { min: 1, max: Number.MAX_SAFE_INTEGER }, 1) ?? 1;
  const count = Math.min(USERS_PER_PAGE, options.maxPageSize);
  const users = await store.users.list(connector.id, {
    filter: usersFilter ? searchFilter(usersFilter) : undefined,
    startIndex,
    count,
  });
  const groups = await listGroups(runtime, connector.id, groupsFilter, Math.min(GROUPS_IN_PICKER, options.maxPageSize));
  // The current default group stays selectable even when the picker shows only some groups.
  if (connector.defaultGroupId && !groups.groups.some((g) => g.id === connector.defaultGroupId)) {
    const current = await store.groups.get(connector.id, connector.defaultGroupId);
    if (current)
      groups.groups.unshift({
        id: current.id,
        displayName: current.displayName,
        memberCount: (await store.groups.memberCounts([current.id])).get(current.id) ?? 0,
      });
  }
  const described = await describeConnector(runtime, connector);
  return {
    base: `${options.mountPath}/admin`,
    nonce,
    connectors: menu.items.map(({ connector: c }) => ({ id: c.id, organizationId: c.organizationId, name: c.name })),
    moreConnectors: menu.nextCursor ?? null,
    organizations: req.identityAdminScope?.organizations ?? [],
    connector: described,
    ssoTestUrl: `${options.mountPath}/sso/login?${new URLSearchParams({ connector: connector.id, returnTo: `${options.mountPath}/admin/connectors/${connector.id}` })}`,
    tokens: usersOnly ? [] : await listTokens(store, connector.id),
    groups: { filter: groupsFilter, ...groups },
    workspaces: await listWorkspaces(runtime, connector),
    mappingSheet: entraMappingSheet(connector),
    adminSteps: presetNamed(connector.profile)?.adminSteps ?? [],
    users: {
      filter: usersFilter,
      startIndex,
      count,
      totalResults: users.totalResults,
      items: users.items,
    },
    usersOnly,
    ssoSwitchRefused: ssoSwitchRefusal(connector)?.message ?? null,
    tokenRefused: tokenCreationRefusal(described.liveTokenCount) ?? null,
    log: await logModel(runtime, req, connector),
  };
}

/** The log section: the filter from the query string (the same one the audit API reads), a page of entries. */
async function logModel(runtime: Runtime, req: Request, connector: Connector): Promise<AdminPageModel['log']> {
  const parsed = await logQuery(runtime, connector, req.query, LOG_ENTRIES);
  // A malformed filter in a hand-edited URL shows the newest entries rather than an error page.
  const query = typeof parsed === 'string' ? { limit: LOG_ENTRIES } : parsed;
  const events = await readLog(runtime, connector, query);
  return {
    filter: { outcome: text(req.query.outcome), operation: text(req.query.operation), user: text(req.query.user) },
    paged: query.beforeId !== undefined,
    events,
    nextBeforeId: events.length === LOG_ENTRIES ? events[events.length - 1].id : null,
  };
}

/**
 *   GET {mountPath}/admin                   the first connector's page (most hosts have one per organization)
 *   GET {mountPath}/admin/connectors/:id    a given connector's page
 *   GET {mountPath}/admin/connectors/:id/users/:userId   one user: attributes, groups, history
 * Server-rendered, behind options.authorizeAdmin with an HTML refusal; every change the page
 * makes goes through the JSON API (and so through its CSRF check).
 */
export function registerAdminPages(router: Router, runtime: Runtime): void {
  const { options, store } = runtime;
  const notFound = (req: Request, res: Response, title: string, message: string) =>
    sendNotice(req, res, 404, { title, message, link: { href: `${options.mountPath}/admin`, text: 'All connectors' } });

  /**
   * The pages' guard: the admin's scope (an HTML refusal with a Sign in link that comes back
   * here otherwise), then the connector named in the URL, looked up within the scope only
   * (without one, the oldest). The menu is the first page of the connectors list (the page's
   * script asks the API for more), so a platform with thousands of organizations does not load
   * them all on every page.
   */
  const page = (
    show: (req: Request, res: Response, connector: Connector, menu: ConnectorPage, nonce: string) => Promise<unknown>,
  ) =>
    asyncRoute(async (req, res) => {
      const scope = await adminScope(runtime, req);
      if (!scope) {
        return sendNotice(req, res, 403, {
          title: 'Administrators only',
          message: "This page is for the platform's administrators. Sign in with an administrator account to open it.",
          link: { href: signInUrlFor(options, req), text: 'Sign in' },
        });
      }
      req.identityAdminScope = scope;
      const menu = await connectorsInScope(runtime, req, { count: connectorsPerPage(options) });
      const id = req.params.id === undefined ? undefined : String(req.params.id);
      const wanted =
        id === undefined
          ? menu.items[0]?.connector
          : (menu.items.find((item) => item.connector.id === id)?.connector ??
            (await scopedConnector(runtime, req, id)));
      const nonce = randomBytes(18).toString('base64');
      if (!menu.items.length)
        return res
          .status(200)
          .set(pageHeaders(nonce))
          .type('html')
          .send(noConnectorsPage({ base: `${options.mountPath}/admin`, nonce, organizations: scope.organizations }));
      if (!wanted) return notFound(req, res, 'No such connector', 'This connector does not exist (any more).');
      req.identityConnectorId = wanted.id;
      return show(req, res, wanted, menu, nonce);
    });

  const connectorPage = page(async (req, res, connector, menu, nonce) => {
    res
      .status(200)
      .set(pageHeaders(nonce))
      .type('html')
      .send(adminPage(await loadModel(runtime, req, connector, menu, nonce)));
  });
  router.get('/', connectorPage);
  router.get('/connectors/:id', connectorPage);

  router.get(
    '/connectors/:id/users/:userId',
    page(async (req, res, connector, _menu, nonce) => {
      const user = await store.users.get(connector.id, String(req.params.userId), { withGroups: true });
      if (!user) return notFound(req, res, 'No such user', 'This user does not exist in this connector (any more).');
      res
        .status(200)
        .set(pageHeaders(nonce))
        .type('html')
        .send(
          adminUserPage({
            base: `${options.mountPath}/admin`,
            nonce,
            connector: { id: connector.id, organizationId: connector.organizationId, name: connector.name },
            user: {
              ...user,
              groups: user.groups ?? [],
              createdAt: user.createdAt.toISOString(),
              updatedAt: user.updatedAt.toISOString(),
            },
            workspaces: await store.workspaces.forUser(connector.id, user.id),
            log: await readLog(runtime, connector, { limit: LOG_ENTRIES, resourceId: user.id }),
          }),
        );
    }),
  );
}
