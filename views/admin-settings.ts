import type { AdminConnector } from '../lib/model/admin-wire.js';
import { BUILT_IN_EXTENSIONS, type HostExtension } from '../lib/model/schemas/extension-sets.js';
import { WEB_ROLES, type RequiredAttribute } from '../lib/model/types.js';
import { field, section } from './admin-parts.js';
import { html, type SafeHtml } from './html.js';

/**
 * The connector's settings as forms: the role map, the attribute rules and the extension sets,
 * each a form of its own that sends only its settings (PUT …/settings, merged by `mergeSettings`).
 * Lists and maps are editable rows (`fieldset[data-setting]`, one `data-shape` each, turned into
 * JSON by the admin script's `settingValue`); a refusal names its setting as `field`, and the
 * script shows the message inside that fieldset. Everything else stays in the JSON form below.
 */

/** Every section a settings save re-renders: any of them may show what changed. */
const SETTINGS_REFRESH = 'role-map attribute-rules extensions settings entra-mapping log';

/** A form that saves some settings, without the browser's own validation: the server's messages are placed per field. */
function settingsForm(c: AdminConnector, success: string, body: SafeHtml, submit: string): SafeHtml {
  return html`<form
    method="post"
    novalidate
    data-api-method="PUT"
    data-api-path="/connectors/${c.id}/settings"
    data-refresh="${SETTINGS_REFRESH}"
    data-success="${success}"
  >
    ${body}
    <button type="submit">${submit}</button>
  </form>`;
}

/** Column headings of a rows table, with a last, unlabelled column for the Remove buttons. */
function rowsHead(columns: string[]): SafeHtml {
  return html`<thead>
    <tr>
      ${columns.map((c) => html`<th scope="col">${c}</th>`)}
      <th scope="col"><span class="visually-hidden">Remove</span></th>
    </tr>
  </thead>`;
}

const removeButton = (what: string) =>
  html`<td>
    <button type="button" class="danger" data-action="remove-row" aria-label="Remove ${what}">Remove</button>
  </td>`;

/**
 * An editable list of rows: the rows, a hidden template row the Add button copies, and the hint.
 * `shape` says how the script reads the rows: `map` (a key and a value per row; `data-list`
 * values are comma-separated lists), `list` (one value per row, `required` rows may add
 * `ifSent`), `extensions` (checked built-ins, then host-defined schemas).
 */
function rowsFieldset(o: {
  setting: string;
  shape: 'map' | 'list' | 'required' | 'extensions';
  legend: string;
  hint: string;
  columns: string[];
  rows: SafeHtml[];
  blank: SafeHtml;
  add: string;
  before?: SafeHtml;
}): SafeHtml {
  return html`<fieldset data-setting="${o.setting}" data-shape="${o.shape}" aria-describedby="${o.setting}-hint">
    <legend>${o.legend}</legend>
    <p class="hint" id="${o.setting}-hint">${o.hint}</p>
    ${o.before ?? ''}
    <div class="table-wrap">
      <table class="rows">
        ${rowsHead(o.columns)}
        <tbody data-rows>${o.rows}</tbody>
      </table>
    </div>
    <template data-row>${o.blank}</template>
    <button type="button" class="secondary" data-action="add-row">${o.add}</button>
  </fieldset>`;
}

const textCell = (label: string, value: string, data: SafeHtml, extra: SafeHtml | '' = '') =>
  html`<td>
    <input type="text" ${data} aria-label="${label}" value="${value}" autocomplete="off" spellcheck="false" ${extra} />
  </td>`;

/** One role map row: the app role value and the web role it gives ("" = none: the row is not saved). */
function roleRow(from: string, to: string): SafeHtml {
  return html`<tr>
    ${textCell('App role value', from, html`data-key`, html`maxlength="255"`)}
    <td>
      <select data-value aria-label="Web role">
        ${WEB_ROLES.map((r) => html`<option value="${r}" ${r === to ? html` selected` : ''}>${r}</option>`)}
        <option value="" ${to === '' ? html` selected` : ''}>None (app login only)</option>
      </select>
    </td>
    ${removeButton(from ? `app role ${from}` : 'this app role')}
  </tr>`;
}

function roleMapSection(c: AdminConnector): SafeHtml {
  const roles = Object.entries(c.settings.roleMap);
  return section(
    'role-map',
    'Role map',
    html`<div id="role-map">
      ${settingsForm(
        c,
        'Role map saved: applies to users at their next provisioning.',
        rowsFieldset({
          setting: 'roleMap',
          shape: 'map',
          legend: 'Entra app role → web role',
          hint: 'The app role values of the Entra app registration (App roles → Value), each with the web role it gives. A role nobody maps, or mapped to None, gives app login only; None rows are left out when saved.',
          columns: ['App role value', 'Web role'],
          rows: roles.map(([from, to]) => roleRow(from, to)),
          blank: roleRow('', 'User'),
          add: 'Add app role',
        }),
        'Save role map',
      )}
    </div>`,
  );
}

/** A required attribute row: its path, and the attribute whose presence makes it required (empty: always). */
function requiredRow(entry: RequiredAttribute | null): SafeHtml {
  const [path, ifSent] =
    entry === null ? ['', ''] : typeof entry === 'string' ? [entry, ''] : [entry.path, entry.ifSent];
  return html`<tr>
    ${textCell('Required attribute', path, html`data-item`)}
    ${textCell('Only when this attribute is sent', ifSent, html`data-if-sent`)}
    ${removeButton(path ? `required attribute ${path}` : 'this required attribute')}
  </tr>`;
}

function pathRow(label: string, path: string): SafeHtml {
  return html`<tr>
    ${textCell(label, path, html`data-item`)} ${removeButton(path ? `${label.toLowerCase()} ${path}` : 'this row')}
  </tr>`;
}

function mapRow(keyLabel: string, valueLabel: string, key: string, value: string, list = false): SafeHtml {
  return html`<tr>
    ${textCell(keyLabel, key, html`data-key`)}
    ${textCell(valueLabel, value, list ? html`data-value data-list` : html`data-value`)}
    ${removeButton(key ? `${keyLabel.toLowerCase()} ${key}` : 'this row')}
  </tr>`;
}

const checkbox = (name: string, label: string, checked: boolean, hint: string) =>
  html`<div class="check">
    <input
      type="checkbox"
      id="setting-${name}"
      name="${name}"
      ${checked ? html` checked` : ''}
      aria-describedby="setting-${name}-hint"
    />
    <label for="setting-${name}">${label}</label>
    <p class="hint" id="setting-${name}-hint">${hint}</p>
  </div>`;

function attributeRulesSection(c: AdminConnector): SafeHtml {
  const s = c.settings;
  const example = 'e.g. name.givenName or emails[type eq "work"].value';
  return section(
    'attribute-rules',
    'Attribute rules',
    html`<div id="attribute-rules">
      ${settingsForm(
        c,
        'Attribute rules saved: they apply to Entra’s next writes.',
        html`${rowsFieldset({
          setting: 'requiredAttributes',
          shape: 'required',
          legend: 'Required attributes',
          hint: `A create or replace without one of these is refused (${example}). With “only when sent”, the attribute is required only if that one is sent at all.`,
          columns: ['Attribute', 'Only when this is sent'],
          rows: s.requiredAttributes.map(requiredRow),
          blank: requiredRow(null),
          add: 'Add required attribute',
        })}
        ${rowsFieldset({
          setting: 'allowedValues',
          shape: 'map',
          legend: 'Allowed values',
          hint: 'Any other value of the attribute is refused. Values are separated by commas.',
          columns: ['Attribute', 'Allowed values'],
          rows: Object.entries(s.allowedValues).map(([path, values]) =>
            mapRow('Attribute', 'Allowed values', path, values.join(', '), true),
          ),
          blank: mapRow('Attribute', 'Allowed values', '', '', true),
          add: 'Add allowed values',
        })}
        ${rowsFieldset({
          setting: 'createOnlyAttributes',
          shape: 'list',
          legend: 'Create-only attributes',
          hint: 'Set when the user is created; Entra’s later changes to them are ignored.',
          columns: ['Attribute'],
          rows: s.createOnlyAttributes.map((p) => pathRow('Create-only attribute', p)),
          blank: pathRow('Create-only attribute', ''),
          add: 'Add create-only attribute',
        })}
        ${rowsFieldset({
          setting: 'primaryByType',
          shape: 'map',
          legend: 'Primary value by type',
          hint: 'For a multi-valued attribute (emails, phoneNumbers, addresses), the value of this type becomes the primary one.',
          columns: ['Attribute', 'Type'],
          rows: Object.entries(s.primaryByType).map(([path, type]) =>
            mapRow('Multi-valued attribute', 'Type', path, type),
          ),
          blank: mapRow('Multi-valued attribute', 'Type', '', ''),
          add: 'Add primary type',
        })}
        ${checkbox('userNameImmutable', 'userName never changes', s.userNameImmutable, 'A change of userName after creation is refused.')}
        ${checkbox('uniqueEmail', 'Primary email unique per user', s.uniqueEmail, 'A second user with the same primary email (any letter case) is refused with 409.')}`,
        'Save attribute rules',
      )}
    </div>`,
  );
}

/**
 * A host-defined extension's attributes as one line: `name`, `name:type`, `[]` for multi-valued
 * (`site, costCenter:integer, tags[]`). The admin script's `attributeList` reads the same syntax.
 */
const attributeLine = (e: HostExtension) =>
  e.attributes
    .map((a) => `${a.name}${a.type && a.type !== 'string' ? `:${a.type}` : ''}${a.multiValued ? '[]' : ''}`)
    .join(', ');

/** A host-defined schema row; an existing one carries its stored form, so names and descriptions survive a save. */
function hostExtensionRow(e: HostExtension | null): SafeHtml {
  return html`<tr ${e ? html` data-original="${JSON.stringify(e)}"` : ''}>
    ${textCell('Schema URN', e?.id ?? '', html`data-key`)}
    ${textCell('Attributes', e ? attributeLine(e) : '', html`data-value`)}
    ${removeButton(e ? `extension ${e.id}` : 'this extension')}
  </tr>`;
}

function extensionsSection(c: AdminConnector): SafeHtml {
  const chosen = new Set(c.settings.extensions.filter((e): e is string => typeof e === 'string'));
  const hosted = c.settings.extensions.filter((e): e is HostExtension => typeof e !== 'string');
  const builtIns = html`<ul class="checks">
    ${Object.entries(BUILT_IN_EXTENSIONS).map(
      ([name, schema]) =>
        html`<li class="check">
          <input
            type="checkbox"
            id="extension-${name}"
            data-builtin
            value="${name}"
            ${chosen.has(name) ? html` checked` : ''}
          />
          <label for="extension-${name}">${schema.name} <span class="muted">(${name})</span></label>
          <code class="hint">${schema.id}</code>
        </li>`,
    )}
  </ul>`;
  return section(
    'extensions',
    'Extension attributes',
    html`<div id="extensions">
      ${settingsForm(
        c,
        'Extensions saved: /Schemas and the mapping sheet show them now.',
        html`${rowsFieldset({
          setting: 'extensions',
          shape: 'extensions',
          legend: 'User extensions this connector accepts',
          hint: 'Attributes of any other extension are refused with 400, unless passed through below. Your own schemas: a URN and attributes such as “site, costCenter:integer, tags[]” (types: string, boolean, integer, decimal, dateTime, reference; [] for multi-valued).',
          columns: ['Your own schema (URN)', 'Attributes'],
          rows: hosted.map(hostExtensionRow),
          blank: hostExtensionRow(null),
          add: 'Add extension schema',
          before: builtIns,
        })}
        ${checkbox('allowExtensionPassthrough', 'Keep attributes of other extensions', c.settings.allowExtensionPassthrough, 'Stored as sent instead of refused; they are not validated.')}`,
        'Save extensions',
      )}
    </div>`,
  );
}

/** Every setting at once, as JSON: what the forms above do not cover (deleteMode, entraPush, …). */
function jsonSettingsSection(c: AdminConnector): SafeHtml {
  return section(
    'settings',
    'All settings (JSON)',
    html`<div id="settings">
      <details>
        <summary>Edit every setting as JSON</summary>
        <form
          method="post"
          data-api-method="PUT"
          data-api-path="/connectors/${c.id}/settings"
          data-json="settings"
          data-refresh="${SETTINGS_REFRESH}"
          data-success="Settings saved."
        >
          ${field(
            'settings-json',
            'Settings (JSON)',
            html`<textarea
              id="settings-json"
              name="settings"
              rows="12"
              spellcheck="false"
              aria-describedby="settings-json-hint"
            >
${JSON.stringify(c.settings, null, 2)}</textarea>`,
            'Keys you leave out keep their value. The forms above edit the role map, the attribute rules and the extensions.',
          )}
          <button type="submit">Save settings</button>
        </form>
      </details>
    </div>`,
  );
}

/** The settings sections, in the page's order: what admins change most first. */
export function settingsSections(c: AdminConnector): SafeHtml {
  return html`${roleMapSection(c)} ${attributeRulesSection(c)} ${extensionsSection(c)} ${jsonSettingsSection(c)}`;
}
