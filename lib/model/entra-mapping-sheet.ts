import { presetNamed } from './presets.js';
import { userRegistryFor } from './schemas/extension-sets.js';
import type { SchemaRegistry } from './schemas/registry.js';
import { resolveSettingPath } from './schemas/typed-path.js';
import type { AttributeType } from './schemas/types.js';
import { URN } from './schemas/urns.js';
import type { Connector, RequiredAttribute } from './types.js';

/**
 * One line of the sheet an admin fills Entra's mapping editor from (Provisioning → Mappings →
 * Provision Microsoft Entra ID Users): the exact target attribute name and what Entra needs to
 * know about it.
 */
export interface MappingRow {
  /** The target attribute exactly as Entra's editor takes it. */
  target: string;
  /** The type Entra's "Edit attribute list" asks for (String, Boolean, Integer, DateTime, Reference, Binary). */
  type: string;
  multiValued: boolean;
  /** Not in Entra's default attribute list: add it under Show advanced options → Edit attribute list first. */
  custom: boolean;
  /** 'yes', 'no', or 'if X is mapped' (the conditional form of requiredAttributes). */
  required: string;
  /** The Entra source attribute (or expression) the platform's guide suggests; null: the admin's choice. */
  source: string | null;
  /** What else the connector does with it: accepted values, primary, applied only on creation. */
  notes: string[];
}

/** Entra's attribute-list types; a decimal is sent as a string. */
const ENTRA_TYPES: Record<AttributeType, string> = {
  string: 'String',
  boolean: 'Boolean',
  integer: 'Integer',
  decimal: 'String',
  dateTime: 'DateTime',
  reference: 'Reference',
  complex: 'String',
  binary: 'Binary',
};

/** Schemas whose attributes Entra's default ("customappsso") attribute list already has. */
const ENTRA_DEFAULT_SCHEMAS = new Set<string>([URN.user, URN.enterprise]);

/** An open extension's row (Metadata): one attribute per key, named by the admin. */
const OPEN_KEY = '{MetadataKey}';

/**
 * The connector's mapping sheet, generated from its schemas (userRegistryFor its `extensions`)
 * and settings, so a preset, an extension set or a host-defined attribute shows at once: the
 * guide's own mapping (its preset's, in the guide's order) first, then every required attribute,
 * then every attribute of a custom extension. Rows the connector's schemas do not have are left out.
 */
export function entraMappingSheet(connector: Pick<Connector, 'profile' | 'settings'>): MappingRow[] {
  const { settings } = connector;
  const registry = userRegistryFor(settings);
  const rows = new Map<string, MappingRow>();
  const add = (target: string, source: string | null) => {
    const key = target.toLowerCase();
    if (rows.has(key)) return;
    const row = describeTarget(registry, target, source);
    if (row) rows.set(key, row);
  };
  for (const [target, source] of presetNamed(connector.profile)?.mapping ?? []) add(target, source);
  if (settings.userNameFallback === 'none') add('userName', null);
  for (const requirement of settings.requiredAttributes) {
    const path = requiredPath(requirement);
    // A whole multi-valued attribute ("emails") is met by its typed rows when the guide maps some.
    if (![...rows.values()].some((row) => same(baseOf(row.target), path))) add(path, null);
  }
  for (const schema of registry.extensions.filter((s) => !ENTRA_DEFAULT_SCHEMAS.has(s.id))) {
    for (const attribute of schema.attributes) add(`${schema.id}:${attribute.name}`, null);
    if (schema.open) add(`${schema.id}:${OPEN_KEY}`, null);
  }
  for (const row of rows.values()) annotate(row, connector.settings);
  return [...rows.values()];
}

const requiredPath = (r: RequiredAttribute) => (typeof r === 'string' ? r : r.path);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** `emails` of `emails[type eq "work"].value`, `name` of `name.givenName`. */
const baseOf = (target: string) => target.split(/[[.]/)[0];

function describeTarget(registry: SchemaRegistry, target: string, source: string | null): MappingRow | undefined {
  // An open extension's placeholder key resolves as any key would.
  const setting = resolveSettingPath(target.replace(OPEN_KEY, 'key'), registry);
  if (!setting) return undefined;
  const { resolved } = setting;
  const leaf = resolved.subAttribute ?? resolved.attribute;
  return {
    target,
    type: ENTRA_TYPES[leaf.type],
    // A typed target (`emails[type eq "work"].value`) is one value; a custom multi-valued attribute is many.
    multiValued:
      setting.type === undefined && !resolved.subAttribute && resolved.attribute.multiValued && leaf.type !== 'complex',
    custom: !ENTRA_DEFAULT_SCHEMAS.has(resolved.schema.id),
    required: 'no',
    source,
    notes: [],
  };
}

/** The connector's rules about a row's attribute, in the words an admin needs in Entra. */
function annotate(row: MappingRow, settings: Connector['settings']): void {
  for (const requirement of settings.requiredAttributes) {
    const path = requiredPath(requirement);
    if (same(path, row.target))
      row.required = typeof requirement === 'string' ? 'yes' : `if ${requirement.ifSent} is mapped`;
    else if (same(path, baseOf(row.target)) && row.target.includes('['))
      row.required = `yes (this or another ${path} row)`;
  }
  if (same(row.target, 'userName') && settings.userNameFallback === 'none') row.required = 'yes';
  const typed = /^([^[]+)\[type eq "([^"]*)"\]/i.exec(row.target);
  const base = baseOf(row.target);
  for (const [path, allowed] of Object.entries(settings.allowedValues)) {
    if (same(path, row.target)) row.notes.push(`values: ${allowed.join(', ')}`);
    else if (typed && same(path, `${base}.type`)) row.notes.push(`${base} types accepted: ${allowed.join(', ')}`);
  }
  if (
    typed &&
    Object.entries(settings.primaryByType).some(([path, type]) => same(path, base) && same(type, typed[2]))
  ) {
    row.notes.push(
      `becomes the primary ${base === 'emails' ? 'email' : base === 'phoneNumbers' ? 'phone number' : base} value`,
    );
  }
  if (settings.uniqueEmail && typed && same(base, 'emails'))
    row.notes.push('unique per user: a second user with this email is refused');
  if (settings.createOnlyAttributes.some((p) => same(p, row.target)))
    row.notes.push('Apply this mapping: Only during object creation');
  if (
    same(row.target, settings.matchOnCreate) ||
    (same(row.target, 'externalId') && settings.userNameFallback === 'externalId')
  ) {
    row.notes.push('Matching precedence 1');
  }
}

/** The sheet as plain text: one tab-separated line per row under a header, for a ticket or a runbook. */
export function mappingSheetText(rows: MappingRow[]): string {
  const header = [
    'Target attribute',
    'Type',
    'Multi-value',
    'Add to attribute list',
    'Required',
    'Suggested source',
    'Notes',
  ];
  const lines = rows.map((r) => [
    r.target,
    r.type,
    r.multiValued ? 'yes' : 'no',
    r.custom ? 'yes' : 'no',
    r.required,
    r.source ?? '(your choice)',
    r.notes.join('; '),
  ]);
  return [header, ...lines].map((cells) => cells.join('\t')).join('\n') + '\n';
}
