import { SafeHtml } from './html.js';

/**
 * The admin page's only script, inlined under the page's CSP nonce (no external assets, no
 * build step). It is plain ES2020 kept as a trusted constant: nothing in it comes from a request.
 *
 * What it does, and why this way:
 * - Every write goes to the JSON API with the CSRF token from GET {api}/csrf in X-CSRF-Token.
 * - After a write it re-renders the affected parts (tokens, users, log…) by fetching the page
 *   again and swapping elements by id, so the server-side templates stay the only renderer.
 * - Forms declare their call (data-api-method, data-api-path); the script only turns fields
 *   into JSON: empty fields are left out (a kept client secret), `data-empty="null"` sends null,
 *   type=number sends a number, a checkbox true or false, `data-json` sends the textarea's JSON
 *   as the body, and each `fieldset[data-setting]` (the settings forms' rows) one setting's value.
 * - A refusal that names a `field` is shown beside that field (or inside that setting's
 *   fieldset), which is marked aria-invalid and described by the message; forms that hold such
 *   fields are `novalidate`, so the server's message is what the admin reads.
 * - Results are written as text (never HTML) into the section's role=status region.
 */
export const ADMIN_SCRIPT = new SafeHtml(`
(() => {
  'use strict';
  const root = document.getElementById('admin');
  if (!root) return;
  const api = root.dataset.api;
  const connectorId = root.dataset.connector;
  let csrf = null;

  async function csrfToken() {
    if (!csrf) {
      const response = await fetch(api + '/csrf', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!response.ok) throw new Error('Could not get a CSRF token (HTTP ' + response.status + '). Reload the page.');
      csrf = (await response.json()).token;
    }
    return csrf;
  }

  async function call(method, path, body) {
    const headers = { accept: 'application/json', 'X-CSRF-Token': await csrfToken() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(api + path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      if (data && data.error === 'csrf') csrf = null; // expired or rotated: fetch a new one next time
      const error = new Error((data && data.message) || 'The request failed (HTTP ' + response.status + ').');
      error.field = data && data.field;
      error.code = data && data.error;
      error.data = data;
      throw error;
    }
    return data;
  }

  async function refresh(ids) {
    const response = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (!response.ok) return;
    // An inert <template> rather than DOMParser: a parsed document would try to apply the fresh
    // page's style element, whose nonce is not this page's, and Chromium reports a CSP violation.
    const fresh = document.createElement('template');
    fresh.innerHTML = await response.text();
    for (const id of ids) {
      const current = document.getElementById(id);
      const next = fresh.content.getElementById(id);
      if (current && next) current.replaceWith(next);
    }
  }

  function statusOf(element) {
    const section = element.closest('section');
    return section && section.querySelector('[role="status"]');
  }

  // Takes the region, not the control: a refresh may have replaced the control by then.
  function say(region, text, ok) {
    if (!region) return;
    region.textContent = text;
    region.classList.toggle('error', !ok);
  }

  // A refusal found before sending, placed like the server's: beside the field it names.
  function fieldError(field, message) {
    const error = new Error(message);
    error.field = field;
    return error;
  }

  // A host-defined extension's attributes from one line: "site, costCenter:integer, tags[]"
  // (views/admin-settings.ts attributeLine writes the same syntax). Types are checked by the server.
  function attributeList(line) {
    return line.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
      const multiValued = part.endsWith('[]');
      const [name, type] = (multiValued ? part.slice(0, -2) : part).split(':').map((word) => word.trim());
      return { name, type: type || 'string', multiValued };
    });
  }

  // One setting's value from its rows (fieldset[data-setting], views/admin-settings.ts): blank
  // rows are skipped, a role mapped to None is left out, a key listed twice is refused here.
  function settingValue(fieldset) {
    const setting = fieldset.dataset.setting;
    const rows = [...fieldset.querySelectorAll('[data-rows] > tr')];
    const read = (row, selector) => { const input = row.querySelector(selector); return input ? input.value.trim() : ''; };
    if (fieldset.dataset.shape === 'list' || fieldset.dataset.shape === 'required') {
      return rows.map((row) => [read(row, '[data-item]'), read(row, '[data-if-sent]')])
        .filter(([item, ifSent]) => item || ifSent)
        .map(([path, ifSent]) => (ifSent ? { path, ifSent } : path));
    }
    const map = {};
    const hosted = [];
    for (const row of rows) {
      const key = read(row, '[data-key]');
      const value = read(row, '[data-value]');
      if (!key && !value) continue;
      if (Object.prototype.hasOwnProperty.call(map, key) || hosted.some((e) => e.id === key)) throw fieldError(setting, setting + ': "' + key + '" is listed twice');
      if (fieldset.dataset.shape === 'extensions') {
        const original = row.dataset.original ? JSON.parse(row.dataset.original) : {};
        const described = new Map((original.attributes || []).map((a) => [a.name, a]));
        hosted.push({ ...original, id: key, attributes: attributeList(value).map((a) => ({ ...described.get(a.name), ...a })) });
      } else if (row.querySelector('[data-value]').tagName !== 'SELECT' || value) {
        map[key] = row.querySelector('[data-value][data-list]') ? value.split(',').map((v) => v.trim()).filter(Boolean) : value;
      }
    }
    if (fieldset.dataset.shape !== 'extensions') return map;
    const builtIns = [...fieldset.querySelectorAll('input[data-builtin]:checked')].map((box) => box.value);
    return [...builtIns, ...hosted];
  }

  function formBody(form) {
    if (form.dataset.json) {
      const text = form.elements.namedItem(form.dataset.json).value;
      try { return JSON.parse(text); } catch (e) { throw new Error('The settings are not valid JSON: ' + e.message); }
    }
    const body = {};
    for (const fieldset of form.querySelectorAll('fieldset[data-setting]')) body[fieldset.dataset.setting] = settingValue(fieldset);
    for (const field of form.elements) {
      if (!field.name || field.disabled) continue;
      if (field.type === 'checkbox') {
        body[field.name] = field.checked;
        continue;
      }
      if (field.value === '') {
        if (field.dataset.empty === 'null') body[field.name] = null;
        continue;
      }
      // A dotted name sets a nested field: "workspaces.sync" → { workspaces: { sync } }.
      const path = field.name.split('.');
      let target = body;
      for (const key of path.slice(0, -1)) target = target[key] = target[key] || {};
      target[path[path.length - 1]] = field.type === 'number' ? Number(field.value) : field.value;
    }
    return body;
  }

  function describedBy(element, id, on) {
    const ids = (element.getAttribute('aria-describedby') || '').split(' ').filter((word) => word && word !== id);
    if (on) ids.push(id);
    if (ids.length) element.setAttribute('aria-describedby', ids.join(' ')); else element.removeAttribute('aria-describedby');
  }

  // The message beside the field it names (a control by name, or a settings fieldset), marked
  // invalid and described by it; false when the form has no such field (the status region says it).
  function markInvalid(form, field, message) {
    for (const shown of form.querySelectorAll('.field-error')) {
      const owner = form.querySelector('[aria-describedby~="' + shown.id + '"]');
      if (owner) describedBy(owner, shown.id, false);
      shown.remove();
    }
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    if (!field) return false;
    const fieldset = form.querySelector('fieldset[data-setting="' + CSS.escape(field) + '"]');
    const control = fieldset || form.elements.namedItem(field);
    if (!control || !control.setAttribute) return false;
    const error = document.createElement('p');
    error.className = 'field-error';
    error.id = 'error-' + (control.id || field);
    error.textContent = message;
    if (fieldset) fieldset.querySelector('legend').after(error);
    else (control.closest('.field') || control.parentElement).append(error);
    control.setAttribute('aria-invalid', 'true');
    describedBy(control, error.id, true);
    const focus = fieldset ? fieldset.querySelector('input, select') : control;
    if (focus) focus.focus();
    return true;
  }

  function showToken(created) {
    const box = document.getElementById('new-token');
    const input = document.getElementById('new-token-value');
    input.value = created.token;
    box.hidden = false;
    input.focus();
    input.select();
  }

  async function busy(control, work) {
    control.disabled = true;
    control.setAttribute('aria-busy', 'true');
    try { await work(); } finally { control.disabled = false; control.removeAttribute('aria-busy'); }
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!form.dataset.apiPath) return;
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]') || form;
    const region = statusOf(form);
    busy(button, async () => {
      try {
        const result = await call(form.dataset.apiMethod, form.dataset.apiPath, formBody(form));
        markInvalid(form, null, '');
        if (form.dataset.showToken !== undefined) {
          form.reset();
          showToken(result);
        }
        if (form.dataset.openConnector !== undefined) {
          location.assign(root.dataset.pages + '/connectors/' + encodeURIComponent(result.id));
          return;
        }
        await refresh((form.dataset.refresh || '').split(' ').filter(Boolean));
        say(region, form.dataset.success || 'Saved.', true);
      } catch (error) {
        const beside = markInvalid(form, error.field, error.message);
        say(region, beside ? 'Not saved: see the message in the form.' : error.message, false);
      }
    });
  });

  // The server asks (409 confirmation_required) when a change needs the admin's yes: their own
  // row, or a bulk switch (whose message names the count). Asked once; undefined when declined.
  async function confirmed(send, agree) {
    try {
      return await send();
    } catch (error) {
      if (error.code !== 'confirmation_required') throw error;
      if (!confirm(error.message)) return undefined;
      agree(error.data);
      return send();
    }
  }

  const actions = {
    // A settings row from the fieldset's template, its first input focused; and a row's removal.
    async 'add-row'(button) {
      const fieldset = button.closest('fieldset');
      const row = fieldset.querySelector('template[data-row]').content.firstElementChild.cloneNode(true);
      fieldset.querySelector('[data-rows]').append(row);
      row.querySelector('input, select').focus();
    },
    async 'remove-row'(button) {
      const fieldset = button.closest('fieldset');
      button.closest('tr').remove();
      fieldset.querySelector('[data-action="add-row"]').focus();
    },
    // The menu shows the first page of connectors; each press appends the next one from the API.
    async 'more-connectors'(button) {
      const page = await call('GET', '/connectors?cursor=' + encodeURIComponent(button.dataset.cursor));
      const menu = document.getElementById('connector-menu');
      let first = null;
      for (const c of page.connectors) {
        const link = document.createElement('a');
        link.href = root.dataset.pages + '/connectors/' + encodeURIComponent(c.id);
        link.textContent = c.organizationId + ' · ' + c.name;
        if (c.id === connectorId) link.setAttribute('aria-current', 'page');
        const item = document.createElement('li');
        item.append(link);
        menu.append(item);
        first = first || link;
      }
      if (page.nextCursor) button.dataset.cursor = page.nextCursor;
      else button.remove();
      // Keyboard users continue where the new entries start.
      if (first) first.focus();
    },
    async copy(button, region) {
      // A field's value (data-target), or a text of its own (data-text: the mapping sheet's names).
      const input = button.dataset.target ? document.getElementById(button.dataset.target) : null;
      const text = input ? input.value : button.dataset.text;
      if (input) input.select();
      try { await navigator.clipboard.writeText(text); } catch (e) {
        // No clipboard permission: the selection's copy, through a scratch field for a bare text.
        const scratch = input || Object.assign(document.createElement('textarea'), { value: text, readOnly: true });
        if (!input) { document.body.append(scratch); scratch.select(); }
        document.execCommand('copy');
        if (!input) scratch.remove();
      }
      say(region, 'Copied ' + text + ' to the clipboard.', true);
    },
    async protect(button, region) {
      const userId = button.dataset.userId;
      const user = await call('PUT', '/users/' + encodeURIComponent(userId) + '/protected', { connectorId, protected: button.dataset.protected === 'true' });
      await refresh(['users', 'log', 'access-details']);
      const again = document.querySelector('button[data-action="protect"][data-user-id="' + CSS.escape(userId) + '"]');
      if (again) again.focus();
      say(region, user.userName + (user.protected ? " is protected: Entra's updates and deletes of this user answer 403." : ' is no longer protected.'), true);
    },
    async 'revoke-token'(button, region) {
      const name = button.dataset.tokenName;
      if (!confirm('Revoke token ' + name + '? Entra can no longer provision with it.')) return;
      await call('DELETE', '/connectors/' + encodeURIComponent(connectorId) + '/tokens/' + encodeURIComponent(button.dataset.tokenId));
      await refresh(['tokens', 'token-create', 'log']);
      say(region, 'Token ' + name + ' revoked.', true);
    },
    async 'remove-workspace'(button, region) {
      const id = button.dataset.workspaceId;
      if (!confirm('Remove workspace ' + id + '? Its users move to the workspace their mapping decides next.')) return;
      await call('DELETE', '/connectors/' + encodeURIComponent(connectorId) + '/workspaces/' + encodeURIComponent(id));
      await refresh(['workspaces', 'log']);
      say(region, 'Workspace ' + id + ' removed.', true);
    },
    async 'rename-group'(button, region) {
      const name = prompt('New name for group ' + button.dataset.groupName + ':', button.dataset.groupName);
      if (name === null || name.trim() === '' || name.trim() === button.dataset.groupName) return;
      const group = await call('PUT', '/connectors/' + encodeURIComponent(connectorId) + '/groups/' + encodeURIComponent(button.dataset.groupId), { displayName: name.trim() });
      await refresh(['groups', 'default-group', 'log']);
      say(region, 'Group renamed to ' + group.displayName + '.', true);
    },
    async 'delete-group'(button, region) {
      const name = button.dataset.groupName;
      if (!confirm('Delete group ' + name + '? Its members stay users; they only leave the group.')) return;
      await call('DELETE', '/connectors/' + encodeURIComponent(connectorId) + '/groups/' + encodeURIComponent(button.dataset.groupId));
      await refresh(['groups', 'default-group', 'log']);
      say(region, 'Group ' + name + ' deleted.', true);
    },
    async 'resume-deprovisioning'(button, region) {
      if (!confirm("Resume deprovisioning? Entra's held deactivations and deletions then go through.")) return;
      await call('POST', '/connectors/' + encodeURIComponent(connectorId) + '/deprovisioning/resume');
      await refresh(['deprovisioning', 'log']);
      say(region, 'Deprovisioning resumed.', true);
    },
    async 'login-method'(button, region) {
      const userId = button.dataset.userId;
      const body = { connectorId, loginMethod: button.dataset.loginMethod };
      const user = await confirmed(() => call('PUT', '/users/' + encodeURIComponent(userId) + '/login-method', body), () => { body.confirm = true; });
      if (!user) return say(region, 'Nothing changed.', true);
      await refresh(['users', 'log']);
      // The row was re-rendered: put focus back on its button so keyboard users keep their place.
      const row = document.querySelector('tr[data-user-id="' + CSS.escape(userId) + '"]');
      const again = row && row.querySelector('button[data-action="login-method"]');
      if (again) again.focus();
      const method = row ? row.querySelector('[data-cell="login-method"]').textContent : user.loginMethod;
      say(region, user.userName + ' now signs in with ' + method + '.', true);
    },
    async 'entra-push'(button, region) {
      if (!confirm('Create the users Entra does not have yet in Entra, and link them?')) return;
      say(region, 'Pushing users to Entra…', true);
      const report = await call('POST', '/connectors/' + encodeURIComponent(connectorId) + '/entra-push', {});
      const box = document.getElementById('entra-push-result');
      const body = box.querySelector('tbody');
      body.replaceChildren();
      for (const r of report.results) {
        const detail = r.outcome === 'created' ? r.entraId
          : r.outcome === 'skipped' ? (r.reason === 'protected' ? 'protected by the platform' : 'already linked to ' + r.externalId)
          : r.status + ' ' + r.code + (r.detailCode ? '/' + r.detailCode : '') + ': ' + r.message;
        const row = body.insertRow();
        for (const text of [r.userName, r.outcome, detail, r.initialPassword || '']) row.insertCell().textContent = text;
      }
      box.hidden = false;
      await refresh(['users', 'log']);
      say(region, report.created + ' created, ' + report.skipped + ' skipped, ' + report.failed + ' failed.' + (report.aborted ? ' Stopped: ' + report.aborted.message : ''), !report.failed && !report.aborted);
    },
    async 'bulk-login-method'(button, region) {
      const selected = [...document.querySelectorAll('input[data-select-user]:checked')].map((box) => box.value);
      const body = { loginMethod: button.dataset.loginMethod };
      if (selected.length) body.userIds = selected;
      const result = await confirmed(() => call('POST', '/connectors/' + encodeURIComponent(connectorId) + '/login-method', body), (asked) => { body.confirmCount = asked.count; });
      if (!result) return say(region, 'Nothing changed.', true);
      await refresh(['users', 'log']);
      say(region, result.switched + ' user' + (result.switched === 1 ? '' : 's') + ' switched.', true);
    },
  };

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button || !actions[button.dataset.action]) return;
    const region = statusOf(button);
    busy(button, async () => {
      try { await actions[button.dataset.action](button, region); } catch (error) { say(region, error.message, false); }
    });
  });
})();
`);
