import { invalidFilter } from '../errors.js';
import type { AttrPath, CompareOperator, Filter, FilterValue } from '../../model/filter.js';
import { findByName, leaf } from '../../model/schemas/registry.js';
import type { AttributeDef } from '../../model/schemas/types.js';
import { isObject } from '../../model/validate/values.js';

/**
 * Value-selection filters of PATCH paths (`emails[type eq "work"]`), evaluated against the
 * in-memory elements of one multi-valued attribute. The filter must have been bound by
 * resolveFilter: its paths carry the sub-attribute and its values the attribute's type.
 */
export function matchesFilter(element: unknown, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
      return matchesFilter(element, filter.left) && matchesFilter(element, filter.right);
    case 'or':
      return matchesFilter(element, filter.left) || matchesFilter(element, filter.right);
    case 'not':
      return !matchesFilter(element, filter.filter);
    // The path parser refuses a value path inside another.
    case 'valuePath':
      throw invalidFilter('Value filters cannot be nested');
    case 'present': {
      const value = operand(element, filter.path).value;
      return value !== undefined && value !== null && value !== '';
    }
    case 'compare': {
      const { def, value } = operand(element, filter.path);
      return compare(filter.op, value, filter.value, def);
    }
  }
}

function operand(element: unknown, path: AttrPath): { def: AttributeDef; value: unknown } {
  const def = leaf(path.resolved!);
  return { def, value: isObject(element) ? element[def.name] : undefined };
}

/** Strings compare case-insensitively unless the attribute is caseExact (RFC 7644 §3.4.2.2). */
function fold(value: unknown, def: AttributeDef): unknown {
  return typeof value === 'string' && !def.caseExact ? value.toLowerCase() : value;
}

function compare(op: CompareOperator, actual: unknown, expected: FilterValue, def: AttributeDef): boolean {
  const a = fold(actual, def);
  const e = fold(expected, def);
  switch (op) {
    case 'eq':
      return a === e || (e === null && a === undefined);
    case 'ne':
      return !compare('eq', actual, expected, def);
    case 'co':
      return typeof a === 'string' && typeof e === 'string' && a.includes(e);
    case 'sw':
      return typeof a === 'string' && typeof e === 'string' && a.startsWith(e);
    case 'ew':
      return typeof a === 'string' && typeof e === 'string' && a.endsWith(e);
    default: {
      // resolveFilter refused ordering on booleans; strings (ISO dateTimes too) and numbers order naturally.
      if (typeof a !== typeof e || (typeof a !== 'string' && typeof a !== 'number')) return false;
      const x = a;
      const y = e as string | number;
      return op === 'gt' ? x > y : op === 'ge' ? x >= y : op === 'lt' ? x < y : x <= y;
    }
  }
}

/**
 * The element a filter of `eq` comparisons joined by `and` describes: Entra adds
 * `emails[type eq "work"].value` to a user without a work email and expects one to be created.
 * Undefined when the filter does not pin the element down (or, ne, co, …).
 */
export function elementFromFilter(filter: Filter): Record<string, unknown> | undefined {
  if (filter.kind === 'compare' && filter.op === 'eq')
    return { [operand(undefined, filter.path).def.name]: filter.value };
  if (filter.kind !== 'and') return undefined;
  const left = elementFromFilter(filter.left);
  const right = elementFromFilter(filter.right);
  return left && right ? { ...left, ...right } : undefined;
}

/**
 * Whether an element matches a normalised example value (a remove of `roles` with the value
 * `[{"value": "x"}]`): every sub-attribute of the example compares equal. A sub-attribute the
 * stored element lacks does not count against it, `value` excepted: a role stored as
 * `{"value": "Admin"}` (before its display was kept) is the one Entra's Remove of
 * `{"id", "value": "Admin", "displayName": "Admin"}` means, since its value is all that identifies it.
 */
export function matchesExample(element: unknown, example: unknown, attribute: AttributeDef): boolean {
  if (!isObject(example)) return compare('eq', element, example as FilterValue, attribute);
  if (!isObject(element)) return false;
  // Normalised examples carry declared sub-attributes only.
  const compared = Object.entries(example).filter(([name]) => element[name] !== undefined || name === 'value');
  return (
    compared.length > 0 &&
    compared.every(([name, expected]) =>
      compare('eq', element[name], expected as FilterValue, findByName(attribute.subAttributes!, name)!),
    )
  );
}
