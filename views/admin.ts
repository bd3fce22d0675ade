import { documentShell } from './layout.js';
import type { MappingRow } from '../lib/model/entra-mapping-sheet.js';
import type {
  AdminAuditEvent,
  AdminConnector,
  AdminGroup,
  AdminScope,
  AdminToken,
  AdminUserSummary,
  AdminWorkspace,
} from '../lib/model/admin-wire.js';
import { PRESETS } from '../lib/model/presets.js';
import { ADMIN_SCRIPT } from './admin-script.js';
import { ADMIN_STYLE } from './admin-style.js';
import { html, type SafeHtml } from './html.js';
import { field, section } from './admin-parts.js';
import { settingsSections } from './admin-settings.js';
import { LOG_OPERATION_LABELS, operationLabel } from './log-operations.js';

/** What a users-table row shows (a StoredUser or an API AdminUserSummary both fit). */
type PageUser = Pick<
  AdminUserSummary,
  'id' | 'userName' | 'displayName' | 'active' | 'webRole' | 'loginMethod' | 'protected'
>;

/** Everything the connector page shows; the same JSON shapes the admin API answers with. */
export interface AdminPageModel {
  /** `{mountPath}/admin`: links and the API base derive from it. */
  base: string;
  /** Per-response CSP nonce for the inline style and script. */
  nonce: string;
  /** The menu: the first page of the connectors this admin may see. */
  connectors: Array<{ id: string; organizationId: string; name: string }>;
  /** The connectors list's cursor after that page (the script loads more from the API), null when it holds them all. */
  moreConnectors: string | null;
  /** The organizations this admin may create connectors in. */
  organizations: AdminScope['organizations'];
  connector: AdminConnector;
  /** Starts a sign-in through this connector's Entra and comes back here: how an admin shows SSO works. */
  ssoTestUrl: string;
  tokens: AdminToken[];
  groups: { filter: string; totalResults: number; groups: AdminGroup[] };
  /** The organization's workspaces (Systam), with this connector's users in each. */
  workspaces: AdminWorkspace[];
  /** What Entra's mapping editor needs, generated from the connector's schemas (model/entra-mapping-sheet.ts). */
  mappingSheet: MappingRow[];
  /** What the connector's preset leaves to the admin (its guide's steps on this page), if it came from one. */
  adminSteps: string[];
  users: { filter: string; startIndex: number; count: number; totalResults: number; items: PageUser[] };
  /** Why no token can be created now (policy's tokenCreationRefusal: as many live tokens as allowed), or null: Create token is disabled while it holds. */
  tokenRefused: string | null;
  /** Why users cannot be switched to Entra SSO now (policy's ssoSwitchRefusal), or null: those buttons are disabled while it holds. */
  ssoSwitchRefused: string | null;
  /** Web role Admin (scope.manages 'users'): only users, their login methods and the log are shown. */
  usersOnly: boolean;
  log: {
    filter: { outcome: string; operation: string; user: string };
    /** Whether this is an older page (a "Newest entries" button then leads back). */
    paged: boolean;
    events: AdminAuditEvent[];
    nextBeforeId: number | null;
  };
}

const LOGIN_METHOD_TEXT = {
  sso: { name: 'Entra SSO', switchTo: 'builtin', action: 'Switch to built-in login' },
  builtin: { name: 'Built-in login', switchTo: 'sso', action: 'Switch to Entra SSO' },
} as const;

const NEW_USER_METHOD_TEXT = {
  auto: 'Entra SSO once sign-in is configured, else built-in login',
  sso: 'Entra SSO',
  builtin: 'Built-in login',
} as const;

/** A log entry's operation: its words, and the code the filter and the API take (alone when it has no words). */
const operationCell = (code: string) =>
  operationLabel(code) === code
    ? html`<code class="nowrap">${code}</code>`
    : html`${operationLabel(code)}<br><code class="nowrap id">${code}</code>`;

/** ISO time to the minute, in UTC, inside <time> so assistive tech and scripts get the exact value. */
const when = (iso: string | null, none = '—') =>
  iso ? html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>` : none;

/** The admin page runs one script, so its style and script carry the response's nonce. */
function shell(title: string, nonce: string, body: SafeHtml): string {
  return documentShell({ title, body, style: ADMIN_STYLE, nonce, script: ADMIN_SCRIPT });
}

/** A read-only value with a Copy button: the SCIM URL, the redirect URI, a new token. */
function copyField(id: string, label: string, value: string, hint?: SafeHtml | string): SafeHtml {
  return html`<div class="field">
  <label for="${id}">${label}</label>
  <div class="copy"><input id="${id}" type="text" readonly spellcheck="false" value="${value}"${hint ? html` aria-describedby="${id}-hint"` : ''}><button type="button" class="secondary" data-action="copy" data-target="${id}" aria-label="Copy ${label}">Copy</button></div>
  ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}
</div>`;
}

function connectSection(c: AdminConnector): SafeHtml {
  return section(
    'connect',
    'Connect Microsoft Entra ID',
    html`
${copyField('scim-url', 'SCIM Tenant URL', c.scimUrl, 'Enterprise application → Provisioning → Tenant URL.')}
${copyField('redirect-uri', 'Redirect URI', c.redirectUri, 'App registration → Authentication → Web → Redirect URIs (exactly this).')}
${appRedirectFields(c)}
${tenantForm(c)}`,
  );
}

/** The guide's "Mobile and desktop applications" platform: the apps' redirect URIs, as the host configured them. */
function appRedirectFields(c: AdminConnector): SafeHtml {
  if (!c.appRedirectUris.length)
    return html`<p class="hint" id="app-redirect-none">Mobile and desktop sign-in is not set up on this site (the host's <code>appRedirectUris</code>).</p>`;
  return html`${c.appRedirectUris.map((uri, i) =>
    copyField(
      `app-redirect-uri-${i}`,
      'Mobile and desktop applications redirect URI',
      uri,
      'App registration → Authentication → Add a platform → Mobile and desktop applications → Custom redirect URIs.',
    ),
  )}`;
}

/** The Entra tenant id on its own (Systam: "You can also enter your organization's Tenant ID"), with or without sign-in. */
function tenantForm(c: AdminConnector): SafeHtml {
  return html`<form method="post" class="row" id="tenant" data-api-method="PUT" data-api-path="/connectors/${c.id}/tenant" data-refresh="tenant oidc log" data-success="Tenant ID saved.">
  ${field(
    'entra-tenant',
    'Entra tenant ID (optional)',
    html`<input id="entra-tenant" name="tenantId" type="text" value="${c.oidc.tenantId ?? ''}" autocomplete="off" spellcheck="false" aria-describedby="entra-tenant-hint">`,
    'The Directory (tenant) ID, a GUID. Helps troubleshooting; once set, only accounts of this tenant can sign in. Empty clears it.',
  )}
  <button type="submit" class="secondary">Save tenant ID</button>
</form>`;
}

/**
 * The Entra mapping sheet: each target attribute exactly as Entra's editor takes it, with a Copy
 * button, and the whole sheet as text. Custom attributes are added to Entra's attribute list first.
 */
function mappingSection(m: AdminPageModel): SafeHtml {
  const rows = m.mappingSheet;
  const yes = (b: boolean) => (b ? 'Yes' : 'No');
  return section(
    'entra-mapping',
    'Entra attribute mapping',
    html`
<p class="hint">Entra: Provisioning → Mappings → Provision Microsoft Entra ID Users. Attributes marked “add to list” are added first under Show advanced options → Edit attribute list (name and type exactly as below).</p>
<div id="entra-mapping" class="table-wrap"><table>
  <thead><tr><th scope="col">Target attribute</th><th scope="col">Type</th><th scope="col">Multi-value</th><th scope="col">Add to list</th><th scope="col">Required</th><th scope="col">Suggested source</th><th scope="col">Notes</th></tr></thead>
  <tbody>${
    rows.length
      ? rows.map(
          (r, i) => html`<tr>
    <th scope="row"><code id="mapping-${i}">${r.target}</code> <button type="button" class="secondary" data-action="copy" data-text="${r.target}" aria-label="Copy ${r.target}">Copy</button></th>
    <td>${r.type}</td><td>${yes(r.multiValued)}</td><td>${yes(r.custom)}</td><td>${r.required}</td><td>${r.source ?? html`<span class="muted">your choice</span>`}</td><td>${r.notes.join('; ')}</td>
  </tr>`,
        )
      : html`<tr><td colspan="7" class="empty">Entra's default mapping is all this connector needs.</td></tr>`
  }</tbody>
</table></div>
<p class="hint"><a href="${m.base}/api/connectors/${encodeURIComponent(m.connector.id)}/entra-mapping.txt" download>Download the mapping sheet (text)</a></p>
${m.adminSteps.length ? html`<p class="hint">This platform's guide also asks, on this page:</p><ul class="hint">${m.adminSteps.map((step) => html`<li>${step}</li>`)}</ul>` : ''}`,
    true,
  );
}

function tokenRows(tokens: AdminToken[]): SafeHtml {
  if (!tokens.length) return html`<tr><td colspan="7" class="empty">No tokens yet: create one for Entra.</td></tr>`;
  return html`${tokens.map((t) => {
    const name = `${t.displayPrefix}…`;
    const status = t.live ? 'Live' : t.revokedAt ? 'Revoked' : 'Expired';
    return html`<tr>
  <th scope="row"><code class="nowrap">${name}</code></th><td>${t.label ?? '—'}</td><td>${when(t.createdAt)}</td><td>${when(t.lastUsedAt, 'never')}</td>
  <td>${when(t.expiresAt, 'never')}</td><td><span class="badge ${status.toLowerCase()}">${status}</span></td>
  <td>${t.live ? html`<button type="button" class="danger" data-action="revoke-token" data-token-id="${t.id}" data-token-name="${name}" aria-label="Revoke ${name}">Revoke</button>` : ''}</td>
</tr>`;
  })}`;
}

function tokensSection(m: AdminPageModel): SafeHtml {
  return section(
    'tokens',
    'SCIM tokens',
    html`
<p class="hint">Entra's "Secret Token". Two tokens can be live at once, so you can rotate without downtime: create a new one, give it to Entra, then revoke the old one.</p>
<div id="tokens" class="table-wrap"><table>
  <thead><tr><th scope="col">Token</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${tokenRows(m.tokens)}</tbody>
</table></div>
<div id="token-create">
<form method="post" class="row" data-api-method="POST" data-api-path="/connectors/${m.connector.id}/tokens" data-refresh="tokens token-create log" data-show-token data-success="Token created. Copy it now: it is not shown again.">
  ${field('token-label', 'Label (optional)', html`<input id="token-label" name="label" type="text" maxlength="191" autocomplete="off">`)}
  ${field('token-days', 'Expires in (days, optional)', html`<input id="token-days" name="expiresInDays" type="number" min="1" max="3650" inputmode="numeric">`)}
  <button type="submit"${m.tokenRefused ? html` disabled aria-describedby="token-refused"` : ''}>Create token</button>
</form>
${m.tokenRefused ? html`<p class="hint refused" id="token-refused">No new token now: ${m.tokenRefused}.</p>` : ''}
</div>
<div id="new-token" class="new-token" hidden>${copyField('new-token-value', 'New token', '', "Shown only once: paste it into Entra's Secret Token field now.")}</div>`,
    true,
  );
}

function oidcSection(m: AdminPageModel): SafeHtml {
  const c = m.connector;
  const { oidc } = c;
  const configured = Boolean(oidc.issuer && oidc.clientId);
  return section(
    'oidc',
    'Single sign-on (OpenID Connect)',
    html`
<div id="oidc">
<p class="hint">${configured ? html`<span class="badge live">Configured</span> Issuer <code>${oidc.issuer}</code>` : html`<span class="badge expired">Not configured</span> Users can only use the built-in login.`}</p>
${
  configured
    ? html`<p class="hint" id="sso-verified">${
        c.ssoVerifiedAt
          ? html`<span class="badge live">Working</span> First sign-in through Entra completed ${when(c.ssoVerifiedAt)}.`
          : html`<span class="badge expired">Not yet shown to work</span> Sign in once with Microsoft (any account of this organization) before switching users to Entra SSO. <a href="${m.ssoTestUrl}">Sign in with Microsoft now</a> (you come back here; if that account may sign in, you are then signed in as it).`
      }</p>`
    : ''
}
<form method="post" class="row" data-api-method="PUT" data-api-path="/connectors/${c.id}/settings" data-refresh="oidc settings log" data-success="Saved: applies to users provisioned from now on.">
  ${field('new-user-login-method', 'New users sign in with', html`<select id="new-user-login-method" name="newUserLoginMethod">${(['auto', 'sso', 'builtin'] as const).map((v) => html`<option value="${v}"${c.settings.newUserLoginMethod === v ? html` selected` : ''}>${NEW_USER_METHOD_TEXT[v]}</option>`)}</select>`)}
  <button type="submit" class="secondary">Save for new users</button>
</form>
<form method="post" novalidate data-api-method="PUT" data-api-path="/connectors/${c.id}/oidc" data-refresh="oidc log" data-success="Sign-in settings saved.">
  ${field('oidc-tenant', 'Directory (tenant) ID', html`<input id="oidc-tenant" name="tenantId" type="text" value="${oidc.tenantId ?? ''}" autocomplete="off" spellcheck="false" aria-describedby="oidc-tenant-hint">`, "A GUID from the app registration's Overview. Enough on its own for Entra.")}
  ${field('oidc-issuer', 'Issuer (optional)', html`<input id="oidc-issuer" name="issuer" type="url" value="${oidc.issuer ?? ''}" autocomplete="off" spellcheck="false" aria-describedby="oidc-issuer-hint">`, 'Derived from the tenant ID when empty.')}
  ${field('oidc-client', 'Application (client) ID', html`<input id="oidc-client" name="clientId" type="text" value="${oidc.clientId ?? ''}" required autocomplete="off" spellcheck="false">`)}
  ${field(
    'oidc-secret',
    'Client secret',
    html`<input id="oidc-secret" name="clientSecret" type="password" autocomplete="new-password"${oidc.hasClientSecret ? '' : html` required`} aria-describedby="oidc-secret-hint">`,
    oidc.hasClientSecret
      ? 'A secret is stored (encrypted; it is never shown). Leave empty to keep it.'
      : "The secret's Value from Certificates & secrets (not its ID).",
  )}
  <button type="submit">Save sign-in settings</button>
</form>
</div>`,
  );
}

function defaultGroupSection(m: AdminPageModel): SafeHtml {
  const { connector: c, groups } = m;
  const shown = groups.groups.length;
  return section(
    'default-group',
    'Default group',
    html`
<div id="default-group">
<form method="post" class="row" data-api-method="PUT" data-api-path="/connectors/${c.id}/default-group" data-refresh="default-group log" data-success="Default group saved.">
  ${field(
    'default-group-select',
    'Group for new users',
    html`<select id="default-group-select" name="groupId" data-empty="null">
    <option value="">No default group</option>
    ${groups.groups.map((g) => html`<option value="${g.id}"${g.id === c.defaultGroupId ? html` selected` : ''}>${g.displayName}</option>`)}
  </select>`,
  )}
  <button type="submit">Save default group</button>
</form>
${
  groups.filter || groups.totalResults > shown
    ? html`
<form method="get" class="row" role="search" aria-label="Groups">
  ${field('group-search', 'Find a group', html`<input id="group-search" name="groups" type="search" value="${groups.filter}">`)}
  <button type="submit" class="secondary">Find</button>
</form>
<p class="hint">Showing ${shown} of ${groups.totalResults} groups${groups.filter ? html` whose name contains “${groups.filter}”` : ''}.</p>`
    : ''
}
</div>`,
  );
}

function groupsSection(m: AdminPageModel): SafeHtml {
  const { groups, connector: c } = m;
  const none = groups.filter
    ? 'No group matches.'
    : c.settings.groupsEnabled
      ? 'No groups yet: Entra provisions them, or create one below.'
      : "No groups yet: this connector refuses groups from Entra; create the platform's own below.";
  return section(
    'groups',
    'Groups',
    html`
<div id="groups"><div class="table-wrap"><table>
  <thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${
    groups.groups.length
      ? groups.groups.map(
          (
            g,
          ) => html`<tr><th scope="row" id="group-${g.id}">${g.displayName}${g.id === c.defaultGroupId ? html` <span class="badge live">Default</span>` : ''}</th><td>${g.memberCount}</td>
    <td><button type="button" class="secondary" data-action="rename-group" data-group-id="${g.id}" data-group-name="${g.displayName}" aria-describedby="group-${g.id}">Rename</button>
    <button type="button" class="danger" data-action="delete-group" data-group-id="${g.id}" data-group-name="${g.displayName}" aria-describedby="group-${g.id}">Delete</button></td></tr>`,
        )
      : html`<tr><td colspan="3" class="empty">${none}</td></tr>`
  }</tbody>
</table>
<p class="hint">${groups.groups.length} of ${groups.totalResults} groups${groups.filter ? html` whose name contains “${groups.filter}”` : ''}.</p></div>
<form method="post" class="row" data-api-method="POST" data-api-path="/connectors/${c.id}/groups" data-refresh="groups default-group log" data-success="Group created: choose it as the default group above if new users should join it.">
  ${field('new-group-name', 'New group', html`<input id="new-group-name" name="displayName" type="text" required maxlength="255" autocomplete="off">`)}
  <button type="submit">Create group</button>
</form></div>`,
  );
}

/** The organization's workspaces: the host's own, registered here or by the host; the connector's mapping (settings) points users at them. */
function workspacesSection(m: AdminPageModel): SafeHtml {
  const { connector: c, workspaces } = m;
  const mapping = c.settings.workspaces;
  return section(
    'workspaces',
    'Workspaces',
    html`
<div id="workspaces">
<p class="hint">${
      mapping
        ? `Every user gets a primary workspace: the ${mapping.attribute ? 'attribute value first, then ' : ''}groups in the order of settings.workspaces, then the fallback (${mapping.fallback ?? 'the first workspace below'}). Users are synced to ${mapping.sync === 'all' ? 'every workspace that maps' : 'their primary workspace only'}.`
        : 'This connector records no workspaces (settings: workspaces is false). The workspaces belong to the organization: its other connectors may map to them.'
    }</p>
<div class="table-wrap"><table>
  <thead><tr><th scope="col">Workspace id</th><th scope="col">Name</th><th scope="col">Users</th><th scope="col">Primary for</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${
    workspaces.length
      ? workspaces.map(
          (
            w,
          ) => html`<tr><th scope="row"><code>${w.id}</code></th><td>${w.name}</td><td>${w.users}</td><td>${w.primaryUsers}</td>
    <td><button type="button" class="danger" data-action="remove-workspace" data-workspace-id="${w.id}" aria-label="Remove workspace ${w.id}">Remove</button></td></tr>`,
        )
      : html`<tr><td colspan="5" class="empty">No workspaces yet: add the ones users are synced to.</td></tr>`
  }</tbody>
</table></div>
${
  mapping
    ? html`<form method="post" class="row" data-api-method="PUT" data-api-path="/connectors/${c.id}/settings" data-refresh="workspaces settings log" data-success="Synchronization saved.">
  ${field(
    'workspace-sync',
    'Sync hosts to',
    html`<select id="workspace-sync" name="workspaces.sync" aria-describedby="workspace-sync-hint">${(['primary', 'all'] as const).map((v) => html`<option value="${v}"${mapping.sync === v ? html` selected` : ''}>${v === 'primary' ? 'Primary workspaces (one workspace only)' : 'All workspaces'}</option>`)}</select>`,
    'Changing to Primary workspaces does not remove users from their other workspaces: from then on only the primary one is maintained.',
  )}
  <button type="submit" class="secondary">Save synchronization</button>
</form>`
    : ''
}
<form method="post" class="row" data-api-method="POST" data-api-path="/connectors/${c.id}/workspaces" data-refresh="workspaces log" data-success="Workspace saved.">
  ${field('workspace-id', 'Workspace id', html`<input id="workspace-id" name="id" type="text" maxlength="191" required autocomplete="off" spellcheck="false">`)}
  ${field('workspace-name', 'Name (optional)', html`<input id="workspace-name" name="name" type="text" maxlength="255" autocomplete="off">`)}
  <button type="submit">Add workspace</button>
</form>
</div>`,
  );
}

/** The id of the users section's note saying why the switch to SSO is refused; the refused buttons point at it. */
const SSO_REFUSED_ID = 'sso-switch-refused';

/** A switch button's refusal attributes: disabled, described by the reason, while switching to SSO is refused. */
const refusedSwitch = (to: string, refused: string | null, describedBy: string[] = []) =>
  to === 'sso' && refused
    ? html` disabled aria-describedby="${[...describedBy, SSO_REFUSED_ID].join(' ')}"`
    : describedBy.length
      ? html` aria-describedby="${describedBy.join(' ')}"`
      : '';

function userRow(u: PageUser, page: string, ssoRefused: string | null): SafeHtml {
  const method = LOGIN_METHOD_TEXT[u.loginMethod];
  return html`<tr data-user-id="${u.id}">
  <td><input type="checkbox" data-select-user value="${u.id}" aria-label="Select ${u.userName}"></td>
  <th scope="row" id="user-${u.id}"><a href="${page}/users/${encodeURIComponent(u.id)}">${u.userName}</a></th><td>${u.displayName ?? '—'}</td><td>${u.active ? 'Yes' : 'No'}</td>
  <td>${u.webRole ?? 'App login only'}</td><td data-cell="login-method">${method.name}</td>
  <td><button type="button" class="secondary" data-action="login-method" data-user-id="${u.id}" data-login-method="${method.switchTo}"${refusedSwitch(method.switchTo, ssoRefused, [`user-${u.id}`])}>${method.action}</button></td>
  <td data-cell="protected">${u.protected ? html`<span class="badge live">Protected</span>` : 'No'}</td>
  <td>${protectButton(u)}</td>
</tr>`;
}

/** Marks or unmarks a protected user (Systam's Organization Owners: Entra's updates and deletes answer 403). */
function protectButton(u: Pick<PageUser, 'id' | 'protected'>, describedBy = `user-${u.id}`): SafeHtml {
  return html`<button type="button" class="secondary" data-action="protect" data-user-id="${u.id}" data-protected="${u.protected ? 'false' : 'true'}" aria-describedby="${describedBy}">${u.protected ? 'Unprotect' : 'Protect'}</button>`;
}

function usersSection(m: AdminPageModel): SafeHtml {
  const { users, base, connector } = m;
  const page = `${base}/connectors/${encodeURIComponent(connector.id)}`;
  const link = (startIndex: number) =>
    `${page}?${new URLSearchParams({ ...(users.filter ? { q: users.filter } : {}), start: String(startIndex) })}`;
  const last = users.startIndex + users.items.length - 1;
  return section(
    'users',
    'Users',
    html`
<form method="get" action="${page}" class="row" role="search" aria-label="Users">
  ${field('user-search', 'Find users (user name or display name)', html`<input id="user-search" name="q" type="search" value="${users.filter}">`)}
  <button type="submit" class="secondary">Search</button>
</form>
<div id="users" class="table-wrap">
<table>
  <thead><tr><th scope="col"><span class="visually-hidden">Select</span></th><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">Active</th><th scope="col">Web role</th><th scope="col">Login method</th><th scope="col"><span class="visually-hidden">Change login method</span></th><th scope="col">Protected</th><th scope="col"><span class="visually-hidden">Change protection</span></th></tr></thead>
  <tbody>${users.items.length ? users.items.map((u) => userRow(u, page, m.ssoSwitchRefused)) : html`<tr><td colspan="9" class="empty">${users.filter ? 'No user matches.' : 'No users yet: Entra provisions them.'}</td></tr>`}</tbody>
</table>
<p class="hint">${users.items.length ? `Users ${users.startIndex}–${last} of ${users.totalResults}.` : ''}
  ${users.startIndex > 1 ? html`<a href="${link(Math.max(1, users.startIndex - users.count))}">Previous</a>` : ''}
  ${last < users.totalResults ? html`<a href="${link(last + 1)}">Next</a>` : ''}</p>
<p class="hint"><a href="${base}/api/connectors/${encodeURIComponent(connector.id)}/entra-bulk-create.csv" download>Export users not from Entra (Entra bulk-create CSV)</a>: import it under Users → Bulk operations → Bulk create. It holds one-time initial passwords; delete it afterwards.</p>
</div>
<div class="row" role="group" aria-label="Push to Entra">
  <button type="button" class="secondary" data-action="entra-push" aria-describedby="entra-push-hint">Push users to Entra</button>
</div>
<p class="hint" id="entra-push-hint">Creates the users Entra does not have yet in Entra through Microsoft Graph, as this connector's sign-in application (it needs the User.ReadWrite.All application permission), and links them. Each gets a one-time password, shown below only once.</p>
<div id="entra-push-result" class="table-wrap" hidden><table>
  <caption>Push to Entra</caption>
  <thead><tr><th scope="col">User name</th><th scope="col">Outcome</th><th scope="col">Entra object / reason / error</th><th scope="col">Initial password</th></tr></thead>
  <tbody></tbody>
</table></div>
<div class="row" role="group" aria-label="Switch login method in bulk">
  <button type="button" class="secondary" data-action="bulk-login-method" data-login-method="sso"${refusedSwitch('sso', m.ssoSwitchRefused)}>Switch selected (or all) to Entra SSO</button>
  <button type="button" class="secondary" data-action="bulk-login-method" data-login-method="builtin">Switch selected (or all) to built-in login</button>
</div>
<p class="hint">With no row selected, these switch every user of this connector; you confirm the number first.</p>
${m.ssoSwitchRefused ? html`<p class="hint refused" id="${SSO_REFUSED_ID}">Switching users to Entra SSO is not possible yet: ${m.ssoSwitchRefused}.</p>` : ''}
<p class="hint">Protected users (such as Organization Owners) are the platform's: Entra's updates and deletes of them answer 403 Forbidden in its provisioning logs.</p>`,
    true,
  );
}

type Shown = string | number | boolean | null;
const shownValue = (v: Shown) => (v === null ? '(none)' : typeof v === 'string' ? `“${v}”` : String(v));

/**
 * What an entry's detail says, in words: the attributes changed (old → new where the log holds
 * them), access changes, members added and removed by name, a refusal's reason.
 */
function describe(e: AdminAuditEvent): SafeHtml[] {
  const parts: SafeHtml[] = [];
  if (e.membersAdded.length) parts.push(html`<span>Added ${e.membersAdded.join(', ')}</span>`);
  if (e.membersRemoved.length) parts.push(html`<span>Removed ${e.membersRemoved.join(', ')}</span>`);
  if (!e.detail) return parts;
  if (!e.detail.startsWith('{')) return [...parts, html`<span>${e.detail}</span>`];
  const detail = JSON.parse(e.detail) as Record<string, unknown>;
  const values = (detail.values ?? {}) as Record<string, { from: Shown; to: Shown }>;
  for (const [key, value] of Object.entries(detail)) {
    if (['values', 'added', 'removed', 'by'].includes(key)) continue;
    if (key === 'changed' && Array.isArray(value)) {
      const changed = value.map(String);
      if (changed.length)
        parts.push(
          html`<span>Changed ${changed.map((name, i) => html`${i ? ', ' : ''}<code>${name}</code>${values[name] ? ` ${shownValue(values[name].from)} → ${shownValue(values[name].to)}` : ''}`)}</span>`,
        );
    } else if (value && typeof value === 'object' && 'to' in value) {
      const change = value as { from: Shown; to: Shown };
      parts.push(html`<span><code>${key}</code> ${shownValue(change.from)} → ${shownValue(change.to)}</span>`);
    } else if (key === 'membersAdded' || key === 'membersRemoved') {
      if (value)
        parts.push(
          html`<span>${key === 'membersAdded' ? 'Members added' : 'Members removed'}: ${typeof value === 'number' || typeof value === 'string' ? value : JSON.stringify(value)}</span>`,
        );
    } else {
      parts.push(html`<span><code>${key}</code> ${typeof value === 'string' ? value : JSON.stringify(value)}</span>`);
    }
  }
  if (e.by) parts.push(html`<span class="muted">by ${e.by}</span>`);
  return parts;
}

/** The log filter's outcomes in words. */
const LOG_OUTCOMES = [
  ['success', 'Succeeded'],
  ['failure', 'Failed or refused'],
] as const;

function logSection(m: AdminPageModel): SafeHtml {
  const { log, base, connector } = m;
  const page = `${base}/connectors/${encodeURIComponent(connector.id)}`;
  const kept = (extra: Record<string, string>) =>
    Object.entries({ ...Object.fromEntries(Object.entries(log.filter).filter(([, v]) => v)), ...extra }).map(
      ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
    );
  return section(
    'log',
    'Provisioning log',
    html`
<form method="get" action="${page}#log-title" class="row" role="search" aria-label="Filter the log">
  ${field('log-outcome', 'Outcome', html`<select id="log-outcome" name="outcome"><option value="">Any</option>${LOG_OUTCOMES.map(([o, label]) => html`<option value="${o}"${o === log.filter.outcome ? html` selected` : ''}>${label}</option>`)}</select>`)}
  ${field('log-operation', 'Operation', html`<select id="log-operation" name="operation"><option value="">Any</option>${Object.entries(LOG_OPERATION_LABELS).map(([code, label]) => html`<option value="${code}"${code === log.filter.operation ? html` selected` : ''}>${label}</option>`)}</select>`)}
  ${field('log-user', 'User (user name)', html`<input id="log-user" name="user" type="search" value="${log.filter.user}">`)}
  <button type="submit" class="secondary">Filter</button>
</form>
<div id="log" class="table-wrap">
<table>
  <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Operation</th><th scope="col">Who / what</th><th scope="col">Outcome</th><th scope="col">What happened</th></tr></thead>
  <tbody>${
    log.events.length
      ? log.events.map(
          (e) => html`<tr>
    <td>${when(e.at)}</td><td>${e.actor}</td><td>${operationCell(e.operation)}</td>
    <td>${e.resourceType === 'User' && e.resourceName ? html`<a href="${page}/users/${encodeURIComponent(e.resourceId ?? '')}">${e.resourceName}</a>` : (e.resourceName ?? html`${e.resourceType ?? ''} <code class="id">${e.resourceId ?? ''}</code>`)}</td>
    <td><span class="badge ${e.outcome === 'success' ? 'live' : 'revoked'}">${e.outcome}</span> ${e.status ?? ''} ${e.scimType ?? ''}</td>
    <td class="detail">${describe(e).map((part, i) => html`${i ? html`<br>` : ''}${part}`)}</td>
  </tr>`,
        )
      : html`<tr><td colspan="6" class="empty">${log.filter.outcome || log.filter.operation || log.filter.user ? 'No entry matches.' : 'Nothing yet.'}</td></tr>`
  }</tbody>
</table>
<div class="row">
  ${log.paged ? html`<form method="get" action="${page}#log-title">${kept({})}<button type="submit" class="secondary">Newest entries</button></form>` : ''}
  ${log.nextBeforeId ? html`<form method="get" action="${page}#log-title">${kept({ beforeId: String(log.nextBeforeId) })}<button type="submit" class="secondary">Older entries</button></form>` : ''}
</div>
</div>`,
    true,
  );
}

/** The mass-deprovisioning guard: its threshold, and while it holds the connector, the admin's Resume. */
function deprovisioningSection(c: AdminConnector): SafeHtml {
  const guard = c.settings.deprovisionGuard;
  return section(
    'deprovisioning',
    'Deprovisioning guard',
    html`
<div id="deprovisioning">
${
  c.deprovisioningPausedAt
    ? html`
<p class="hint"><span class="badge revoked">Paused</span> Since ${when(c.deprovisioningPausedAt)} Entra's deactivations and deletions are refused (Entra retries them): more users were deprovisioned than the guard allows. Check Entra's assignments and scoping, then resume.</p>
<button type="button" class="danger" data-action="resume-deprovisioning">Resume deprovisioning</button>`
    : html`<p class="hint"><span class="badge live">Running</span> ${
        guard
          ? `Pauses when more than ${guard.minimumUsers} users (or ${guard.percent}% of them, if more) are deactivated or deleted within ${guard.windowMinutes} minutes.`
          : 'The guard is off (settings: deprovisionGuard).'
      }</p>`
}
</div>`,
  );
}

/**
 * A new connector from a preset (one per platform guide): platform staff name any organization,
 * an organization's admins pick one of theirs. The page then opens the new connector.
 */
function newConnectorSection(organizations: AdminScope['organizations']): SafeHtml {
  const single = Array.isArray(organizations) && organizations.length === 1;
  return section(
    'new-connector',
    'New connector',
    html`
<p class="hint">One connector per Entra tenant (or per resource kind). A preset sets what a platform guide describes; change any setting afterwards.</p>
<form method="post" class="row" data-api-method="POST" data-api-path="/connectors" data-open-connector data-success="Connector created.">
  ${
    organizations === 'all'
      ? field(
          'new-connector-org',
          'Organization',
          html`<input id="new-connector-org" name="organizationId" type="text" required maxlength="191" autocomplete="off" spellcheck="false">`,
        )
      : field(
          'new-connector-org',
          'Organization',
          html`<select id="new-connector-org" name="organizationId"${single ? html` aria-readonly="true"` : ''}>${organizations.map((o) => html`<option value="${o}">${o}</option>`)}</select>`,
        )
  }
  ${field('new-connector-name', 'Name', html`<input id="new-connector-name" name="name" type="text" required maxlength="191" autocomplete="off" placeholder="Entra ID">`)}
  ${field('new-connector-preset', 'Preset', html`<select id="new-connector-preset" name="preset"><option value="">None (default settings)</option>${Object.entries(PRESETS).map(([name, p]) => html`<option value="${name}">${p.platform} (${name})</option>`)}</select>`)}
  <button type="submit">Create connector</button>
</form>`,
  );
}

function connectorNav(m: AdminPageModel): SafeHtml | '' {
  if (m.connectors.length < 2 && !m.moreConnectors) return '';
  return html`<nav aria-label="Connectors"><ul id="connector-menu">${m.connectors.map((c) => html`<li><a href="${m.base}/connectors/${encodeURIComponent(c.id)}"${c.id === m.connector.id ? html` aria-current="page"` : ''}>${c.organizationId} · ${c.name}</a></li>`)}</ul>${m.moreConnectors ? html`<button type="button" data-action="more-connectors" data-cursor="${m.moreConnectors}">More connectors</button>` : ''}</nav>`;
}

/** The connector settings page: one connector, everything an admin needs to connect Entra. */
export function adminPage(m: AdminPageModel): string {
  const c = m.connector;
  return shell(
    `${c.name} · Identity admin`,
    m.nonce,
    html`
<header class="top"><p class="product">Identity connector · Admin</p>${connectorNav(m)}</header>
<main id="admin" data-api="${m.base}/api" data-pages="${m.base}" data-connector="${c.id}">
<h1>${c.name} <span class="muted">organization ${c.organizationId}</span></h1>
<div class="grid">
${
  m.usersOnly
    ? html`${usersSection(m)}
${logSection(m)}`
    : html`${connectSection(c)}
${mappingSection(m)}
${deprovisioningSection(c)}
${defaultGroupSection(m)}
${tokensSection(m)}
${oidcSection(m)}
${settingsSections(c)}
${workspacesSection(m)}
${groupsSection(m)}
${usersSection(m)}
${logSection(m)}
${newConnectorSection(m.organizations)}`
}
</div>
</main>`,
  );
}

/** One user: what Entra sent (SCIM attributes), the groups, access, and the user's own log entries. */
export interface AdminUserPageModel {
  base: string;
  nonce: string;
  connector: { id: string; organizationId: string; name: string };
  user: PageUser & {
    externalId: string | null;
    groups: Array<{ id: string; displayName: string }>;
    document: Record<string, unknown>;
    createdAt: string;
    updatedAt: string;
  };
  /** The user's workspaces as decided (Systam); the connector's page lists the organization's. */
  workspaces: { primary: string | null; workspaces: string[] };
  log: AdminAuditEvent[];
}

export function adminUserPage(m: AdminUserPageModel): string {
  const { user: u, connector: c } = m;
  const page = `${m.base}/connectors/${encodeURIComponent(c.id)}`;
  const attributes = Object.entries(u.document).filter(([key]) => key !== 'schemas');
  return shell(
    `${u.userName} · Identity admin`,
    m.nonce,
    html`
<header class="top"><p class="product">Identity connector · Admin</p><nav aria-label="Breadcrumb"><a href="${page}">${c.organizationId} · ${c.name}</a></nav></header>
<main id="admin" data-api="${m.base}/api" data-connector="${c.id}">
<h1>${u.userName} <span class="muted">${u.displayName ?? ''}</span></h1>
<div class="grid">
${section(
  'access',
  'Access',
  html`<dl id="access-details">
  <dt>Active</dt><dd>${u.active ? 'Yes' : 'No'}</dd>
  <dt>Login method</dt><dd>${LOGIN_METHOD_TEXT[u.loginMethod].name}</dd>
  <dt>Web role</dt><dd>${u.webRole ?? 'App login only'}</dd>
  <dt>Protected</dt><dd><span id="protected-state">${u.protected ? "Yes: Entra's updates and deletes answer 403" : 'No'}</span> ${protectButton(u, 'protected-state')}</dd>
  <dt>External id</dt><dd><code>${u.externalId ?? '—'}</code></dd>
  <dt>Workspaces</dt><dd>${m.workspaces.primary ? html`<code>${m.workspaces.primary}</code> (primary)${m.workspaces.workspaces.filter((w) => w !== m.workspaces.primary).map((w) => html`, <code>${w}</code>`)}` : '—'}</dd>
  <dt>Created / updated</dt><dd>${when(u.createdAt)} / ${when(u.updatedAt)}</dd>
</dl>`,
)}
${section('user-groups', 'Groups', u.groups.length ? html`<ul>${u.groups.map((g) => html`<li>${g.displayName}</li>`)}</ul>` : html`<p class="empty">In no group.</p>`)}
${section(
  'attributes',
  'SCIM attributes',
  html`<div class="table-wrap"><table class="compact">
  <thead><tr><th scope="col">Attribute</th><th scope="col">Value</th></tr></thead>
  <tbody>${attributes.map(([key, value]) => html`<tr><th scope="row"><code>${key}</code></th><td class="detail">${typeof value === 'string' ? value : JSON.stringify(value)}</td></tr>`)}</tbody>
</table></div>`,
  true,
)}
${section(
  'history',
  'History',
  html`<div class="table-wrap"><table>
  <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Operation</th><th scope="col">Outcome</th><th scope="col">What happened</th></tr></thead>
  <tbody>${
    m.log.length
      ? m.log.map(
          (e) => html`<tr><td>${when(e.at)}</td><td>${e.actor}</td><td>${operationCell(e.operation)}</td>
    <td><span class="badge ${e.outcome === 'success' ? 'live' : 'revoked'}">${e.outcome}</span> ${e.status ?? ''}</td>
    <td class="detail">${describe(e).map((part, i) => html`${i ? html`<br>` : ''}${part}`)}</td></tr>`,
        )
      : html`<tr><td colspan="5" class="empty">Nothing yet.</td></tr>`
  }</tbody>
</table>
<p class="hint"><a href="${page}?${new URLSearchParams({ user: u.userName })}#log-title">All of this user's entries in the provisioning log</a></p></div>`,
  true,
)}
</div>
</main>`,
  );
}

/** No connector exists yet (in this admin's organizations): create one here, or say how elsewhere. */
export function noConnectorsPage(m: {
  base: string;
  nonce: string;
  organizations: AdminScope['organizations'];
}): string {
  return shell(
    'Identity admin',
    m.nonce,
    html`<main id="admin" data-api="${m.base}/api" data-pages="${m.base}"><h1>No connectors yet</h1>
<p>Create one below, with <code>identity-connector connector create --org ORG --name "Entra ID" --preset NAME</code> or with <code>store.connectors.create()</code>.</p>
<div class="grid">${newConnectorSection(m.organizations)}</div></main>`,
  );
}
