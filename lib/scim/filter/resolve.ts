/**
 * Binds a parsed filter to the resource's schemas: canonical attributes on every path, values
 * coerced to the attribute's type, and the RFC 7644 §3.4.2.2 refusals (400 invalidFilter) made
 * here so that the SQL compiler only ever sees filters it can answer.
 */
import { invalidFilter } from '../errors.js';
import { leaf, type ResolvedAttribute, type SchemaRegistry } from '../../model/schemas/registry.js';
import type { AttributeDef } from '../../model/schemas/types.js';
import type { AttrPath, CompareOperator, Filter, FilterValue } from '../../model/filter.js';

const ORDERING = new Set<CompareOperator>(['gt', 'ge', 'lt', 'le']);
const SUBSTRING = new Set<CompareOperator>(['co', 'sw', 'ew']);
// RFC 3339 (xsd:dateTime), with the date-only form some clients send.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Resolves every path of a parsed filter against the resource type's schemas (case-insensitive, extension URNs
 * included) and checks each comparison fits the attribute (RFC 7644 §3.4.2.2): a complex attribute is compared
 * through a sub-attribute, `co`/`sw`/`ew` apply to strings, ordering operators only where the type has an order,
 * a boolean takes true or false, and a `returned: never` attribute (password) cannot be filtered on.
 *
 * @throws ScimError 400 `invalidFilter` for an unknown attribute or a comparison the attribute cannot take.
 */
export function resolveFilter(filter: Filter, registry: SchemaRegistry): Filter {
  return resolveNode(filter, registry);
}

/**
 * The epoch milliseconds of an RFC 3339 dateTime; undefined when the text is not one.
 * A time without an offset is read as UTC, never as the server's zone.
 */
export function parseDateTime(text: string): number | undefined {
  if (!DATE_TIME.test(text)) return undefined;
  const zoned = /[Tt ]\d{2}:\d{2}(?::[\d.]+)?$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

function resolveNode(filter: Filter, registry: SchemaRegistry, parent?: ResolvedAttribute): Filter {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return {
        kind: filter.kind,
        left: resolveNode(filter.left, registry, parent),
        right: resolveNode(filter.right, registry, parent),
      };
    case 'not':
      return { kind: 'not', filter: resolveNode(filter.filter, registry, parent) };
    case 'present':
      return { kind: 'present', path: resolvePath(filter.path, registry, parent) };
    case 'compare': {
      const path = comparedPath(resolvePath(filter.path, registry, parent), registry);
      return { kind: 'compare', op: filter.op, path, value: coerce(filter.op, path, filter.value) };
    }
    case 'valuePath': {
      const path = resolvePath(filter.path, registry);
      const resolved = path.resolved as ResolvedAttribute;
      if (resolved.subAttribute || resolved.attribute.type !== 'complex') {
        throw invalidFilter(`"${filter.path.raw}" is not a complex attribute, so it cannot take a [filter]`);
      }
      return { kind: 'valuePath', path, filter: resolveNode(filter.filter, registry, resolved) };
    }
  }
}

function resolvePath(path: AttrPath, registry: SchemaRegistry, parent?: ResolvedAttribute): AttrPath {
  const resolved = parent
    ? registry.resolveIn(parent.schema, parent.attribute.name, path.raw)
    : registry.resolve(path.raw);
  const written = parent ? `${parent.canonicalPath}[${path.raw}]` : path.raw;
  if (!resolved) throw invalidFilter(`unknown attribute "${written}" in the filter`);
  // Write-only secrets (password) must not be probed through filters.
  if (leaf(resolved).returned === 'never') throw invalidFilter(`"${written}" cannot be used in a filter`);
  return { raw: path.raw, resolved };
}

/** A complex attribute compared as a whole means its `value` (RFC 7644 §3.4.2.2: `emails co "@x"`). */
function comparedPath(path: AttrPath, registry: SchemaRegistry): AttrPath {
  const resolved = path.resolved as ResolvedAttribute;
  if (resolved.subAttribute || resolved.attribute.type !== 'complex') return path;
  const value = registry.resolveIn(resolved.schema, resolved.attribute.name, 'value');
  if (!value) throw invalidFilter(`"${path.raw}" is a complex attribute: compare one of its sub-attributes`);
  return { raw: path.raw, resolved: value };
}

function coerce(op: CompareOperator, path: AttrPath, value: FilterValue): FilterValue {
  const def = leaf(path.resolved as ResolvedAttribute);
  const refuse = (why: string) => invalidFilter(`"${path.raw}" ${why}`);
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw refuse(`cannot be compared with null using "${op}"`);
    return null;
  }
  if (ORDERING.has(op) && (def.type === 'boolean' || def.type === 'binary'))
    throw refuse(`is ${def.type}: "${op}" is not defined for it`);
  if (SUBSTRING.has(op) && !isText(def)) throw refuse(`is ${def.type}: "${op}" applies to strings only`);
  switch (def.type) {
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw refuse(`is boolean: expected true or false, found ${JSON.stringify(value)}`);
    }
    case 'dateTime': {
      const ms = typeof value === 'string' ? parseDateTime(value) : undefined;
      if (ms === undefined) throw refuse(`is a dateTime: ${JSON.stringify(value)} is not an RFC 3339 date-time`);
      return new Date(ms).toISOString();
    }
    case 'integer':
    case 'decimal': {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value === 'boolean' || !Number.isFinite(n) || (def.type === 'integer' && !Number.isInteger(n))) {
        throw refuse(`is ${def.type === 'integer' ? 'an integer' : 'a decimal'}: ${JSON.stringify(value)} is not one`);
      }
      return n;
    }
    default:
      return String(value);
  }
}

function isText(def: AttributeDef): boolean {
  return def.type === 'string' || def.type === 'reference' || def.type === 'binary';
}
