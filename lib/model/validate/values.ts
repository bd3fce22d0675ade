import { findByName, type ResolvedAttribute } from '../schemas/registry.js';
import type { AttributeDef } from '../schemas/types.js';
import { InvalidInput } from '../errors.js';
import { MAX_MULTI_VALUES, MAX_OBJECT_KEYS } from '../limits.js';

/** Whether a value is a plain JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The key of `object` spelling `name` in any case (RFC 7643 §2.1), else `name` itself. */
export function keyIn(object: Record<string, unknown>, name: string): string {
  if (Object.hasOwn(object, name)) return name;
  const wanted = name.toLowerCase();
  // Lengths first: most keys differ in length, and lower-casing every key made this the cost of a request.
  return Object.keys(object).find((key) => key.length === name.length && key.toLowerCase() === wanted) ?? name;
}

/**
 * keyIn over many writes into the same objects (a body with hundreds of Metadata keys): each
 * object's keys are indexed once, so placing n attributes costs O(n), not O(n²). Valid while
 * every key is added through it, as normalisation does.
 */
export class KeyIndex {
  private readonly indexes = new WeakMap<object, Map<string, string>>();

  keyIn(object: Record<string, unknown>, name: string): string {
    let index = this.indexes.get(object);
    if (!index) {
      index = new Map();
      for (const key of Object.keys(object)) if (!index.has(key.toLowerCase())) index.set(key.toLowerCase(), key);
      this.indexes.set(object, index);
    }
    const wanted = name.toLowerCase();
    const existing = index.get(wanted);
    if (existing !== undefined) return existing;
    index.set(wanted, name);
    return name;
  }

  childObject(container: Record<string, unknown>, name: string): Record<string, unknown> {
    return childObject(container, name, this.keyIn(container, name));
  }
}

/** The object held at `name` in `container`, created when missing so that writes can merge into it. */
export function childObject(
  container: Record<string, unknown>,
  name: string,
  key = keyIn(container, name),
): Record<string, unknown> {
  const existing = container[key];
  if (isObject(existing)) return existing;
  const created: Record<string, unknown> = {};
  container[key] = created;
  return created;
}

/** A key of an open schema (Metadata) that no declared attribute governs: its value is stored as a string. */
export function isOpenValue(resolved: ResolvedAttribute): boolean {
  return resolved.schema.open === true && !findByName(resolved.schema.attributes, resolved.attribute.name);
}

/**
 * Reads a value the way Entra and Microsoft's validator send it, against its definition. The
 * result is in canonical sub-attribute names, or undefined when the value means "absent":
 * Entra sends null, "" and {} to clear an attribute.
 */
export function normalizeValue(def: AttributeDef, value: unknown, open = false): unknown {
  return def.multiValued ? normalizeList(def, value) : normalizeElement(def, value, open);
}

function normalizeList(def: AttributeDef, raw: unknown): unknown {
  const value = def.type === 'complex' ? jsonInString(raw) : raw;
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value) && value.length > MAX_MULTI_VALUES) throw tooManyValues(def);
  const items = Array.isArray(value)
    ? value
    : // The CustomExtension `folders` arrives from Entra as "Folder 1, Folder 2".
      typeof value === 'string' && def.type === 'string'
      ? value.split(',').map((part) => part.trim())
      : // A single value for a multi-valued attribute is a list of one.
        [value];
  if (items.length > MAX_MULTI_VALUES) throw tooManyValues(def);
  const plain = def.type === 'complex' ? items : items.map((item) => unwrapItem(def, item));
  const list = plain.map((item) => normalizeElement(def, item)).filter((item) => item !== undefined);
  return list.length ? list : undefined;
}

/**
 * One item of a multi-valued attribute of plain values (the CustomExtension `folders`): Entra wraps
 * such items as it wraps roles and members, `{"value": "x"}`, so that form is read as `"x"` in
 * every operation. Any other object cannot be a plain value and is refused here, naming the attribute,
 * so that a remove never compares it (it used to fail there with a TypeError).
 */
function unwrapItem(def: AttributeDef, item: unknown): unknown {
  if (!isObject(item)) return item;
  const key = keyIn(item, 'value');
  if (Object.hasOwn(item, key)) return item[key];
  throw new InvalidInput(
    'invalidValue',
    `Attribute '${def.name}' holds ${def.type} values: give each as a value or as {"value": …}`,
  );
}

const tooManyValues = (def: AttributeDef) =>
  new InvalidInput('tooMany', `Attribute '${def.name}' has more than ${MAX_MULTI_VALUES} values`);

/** One value of the attribute: the attribute itself when single-valued, one element when multi-valued. */
export function normalizeElement(def: AttributeDef, value: unknown, open = false): unknown {
  if (value === null || value === undefined || value === '') return undefined;
  if (def.type === 'complex') return normalizeComplex(def, value);
  if (def.type === 'boolean' && typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
  }
  if (open && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  return value;
}

function normalizeComplex(def: AttributeDef, raw: unknown): unknown {
  const subAttributes = def.subAttributes ?? [];
  const value = jsonInString(raw);
  if (isObject(value) && typeof value.value === 'string') {
    // SingleAppRoleAssignment / AppRoleAssignmentsComplex without Entra's feature flag: each item
    // is `{"value": "{\"id\":\"06b0…\",\"value\":\"User\",\"displayName\":\"User\"}"}`.
    const inner = jsonInString(value.value);
    if (isObject(inner)) {
      const { value: _json, ...outer } = value;
      const { displayName, ...assignment } = inner;
      return normalizeComplex(def, {
        ...(displayName === undefined ? {} : { display: displayName }),
        ...assignment,
        ...outer,
      });
    }
  }
  if (!isObject(value)) {
    // `value` is the default sub-attribute: Entra sends `manager` as a bare id string.
    const canHoldBareValue = typeof value === 'string' && findByName(subAttributes, 'value');
    return canHoldBareValue ? normalizeComplex(def, { value }) : value;
  }
  const result: Record<string, unknown> = {};
  const entries = Object.entries(appRoleShape(value, subAttributes));
  if (entries.length > MAX_OBJECT_KEYS) throw tooManyKeys(def.name);
  for (const [key, raw] of entries) {
    const sub = findByName(subAttributes, key);
    // Unknown sub-attributes are ignored like unknown attributes; readOnly ones are the server's to set.
    if (!sub || sub.mutability === 'readOnly') continue;
    const normalized = normalizeValue(sub, raw);
    if (normalized !== undefined) result[sub.name] = normalized;
  }
  return Object.keys(result).length ? result : undefined;
}

/**
 * Entra's app-role assignment (`{"id", "value", "displayName"}`, in a JSON string without its
 * feature flag) names the display `displayName`: kept as `display`, whether the whole list or each
 * item came as a string, so that a later Remove of the same entry finds it.
 */
function appRoleShape(value: Record<string, unknown>, subAttributes: AttributeDef[]): Record<string, unknown> {
  if (value.displayName === undefined || keyIn(value, 'display') in value || !findByName(subAttributes, 'display'))
    return value;
  const { displayName, ...rest } = value;
  return { display: displayName, ...rest };
}

/**
 * Entra without its SCIM-compliance feature flag sends complex values as JSON inside a string,
 * e.g. roles as `"[{\"primary\":true,\"value\":\"Admin\"}]"`. Such a string is read as the
 * JSON it holds; any other value is returned as it is.
 */
function jsonInString(value: unknown): unknown {
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

/** The `tooMany` InvalidInput for an object with more keys than MAX_OBJECT_KEYS allows (a bound on request cost). */
export const tooManyKeys = (where: string) =>
  new InvalidInput('tooMany', `'${where}' has more than ${MAX_OBJECT_KEYS} attributes`);
