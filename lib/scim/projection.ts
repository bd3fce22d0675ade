import { findByName, type SchemaRegistry } from '../model/schemas/registry.js';
import type { AttributeDef } from '../model/schemas/types.js';
import { MAX_ATTRIBUTE_NAMES } from '../model/limits.js';
import { badRequest, invalidValue } from './errors.js';

/**
 * RFC 7644 §3.9 attribute projection, driven by each attribute's `returned` characteristic:
 * `always` is kept, `never` is dropped, `request` appears only when asked for, `default`
 * follows `attributes` / `excludedAttributes`.
 */
export interface Projection {
  attributes?: string[];
  excludedAttributes?: string[];
}

/**
 * Parses `a,b.c,urn:…:User:department` (query) or a list (search body). Filters inside `[…]` are
 * tolerated and ignored. One pass over the text: no backtracking regex sees client input.
 */
export function parseAttributeList(value: unknown, parameter = 'attributes'): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  // A string ("a,b"), or a list of them (a JSON array in .search, a repeated query parameter);
  // anything else (an object, a number) is refused rather than read as "[object Object]" and ignored.
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item) => typeof item === 'string')) {
    throw invalidValue(`${parameter} must be a comma-separated string or an array of strings`);
  }
  const items = list.flatMap((item) => item.split(','));
  if (items.length > MAX_ATTRIBUTE_NAMES)
    throw badRequest('tooMany', `at most ${MAX_ATTRIBUTE_NAMES} attribute names may be listed`);
  const cleaned = items.map((item) => withoutFilters(item).trim()).filter(Boolean);
  return cleaned.length ? cleaned : undefined;
}

/** `emails[type eq "work"].value` → `emails.value`: each `[` drops the text up to its `]`. */
function withoutFilters(item: string): string {
  let out = '';
  let from = 0;
  for (let open = item.indexOf('['); open !== -1; open = item.indexOf('[', from)) {
    const close = item.indexOf(']', open + 1);
    out += item.slice(from, open);
    from = close === -1 ? item.length : close + 1;
  }
  return out + item.slice(from);
}

/** Whether a top-level attribute (e.g. Group `members`) will be in the response, so the store can skip reading it. */
export function wantsAttribute(registry: SchemaRegistry, projection: Projection, name: string): boolean {
  const resolved = registry.resolve(name);
  if (!resolved) return false;
  const def = resolved.attribute;
  if (def.returned === 'never') return false;
  const path = resolved.canonicalPath.toLowerCase();
  if (projection.attributes)
    return (
      def.returned === 'always' || projection.attributes.some((a) => sameOrParent(resolvedPath(registry, a), path))
    );
  if (def.returned === 'request') return false;
  if (projection.excludedAttributes)
    return !projection.excludedAttributes.some((a) => resolvedPath(registry, a) === path);
  return true;
}

/**
 * `passthrough`: the connector keeps attributes of undeclared extensions
 * (`allowExtensionPassthrough`); they are returned like any `returned: default` attribute.
 * Without it, stored data of an extension the connector no longer declares stays hidden.
 */
export function project(
  resource: Record<string, unknown>,
  registry: SchemaRegistry,
  projection: Projection,
  passthrough = false,
): Record<string, unknown> {
  const wanted = projection.attributes?.map((a) => resolvedPath(registry, a));
  const excluded = projection.excludedAttributes?.map((a) => resolvedPath(registry, a));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') {
      out[key] = value;
      continue;
    }
    const extension = registry.schemaByUrn(key);
    if (extension && extension !== registry.core) {
      const inner = projectObject(
        value as Record<string, unknown>,
        extension.attributes,
        `${extension.id.toLowerCase()}:`,
        wanted,
        excluded,
        extension.open === true,
      );
      if (Object.keys(inner).length) out[key] = inner;
      continue;
    }
    const resolved = registry.resolve(key);
    if (!resolved) {
      if (passthrough && /^urn:/i.test(key)) {
        const kept = projectUndeclared(key, value, wanted, excluded);
        if (kept !== undefined) out[key] = kept;
      }
      continue;
    }
    const kept = keep(resolved.attribute, resolved.canonicalPath.toLowerCase(), value, wanted, excluded);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** An undeclared extension (its attributes nested by serialize.ts) or a lone value under a URN: open, every name `returned: default`. */
function projectUndeclared(
  key: string,
  value: unknown,
  wanted: string[] | undefined,
  excluded: string[] | undefined,
): unknown {
  if (!wanted && excluded?.includes(key.toLowerCase())) return undefined;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const inner = projectObject(value as Record<string, unknown>, [], `${key.toLowerCase()}:`, wanted, excluded, true);
    return Object.keys(inner).length ? inner : undefined;
  }
  return keep(
    { name: key, returned: 'default' } as unknown as AttributeDef,
    key.toLowerCase(),
    value,
    wanted,
    excluded,
  );
}

function projectObject(
  obj: Record<string, unknown>,
  defs: AttributeDef[],
  prefix: string,
  wanted: string[] | undefined,
  excluded: string[] | undefined,
  open: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj ?? {})) {
    const def =
      findByName(defs, key) ??
      (open ? ({ name: key, returned: 'default', subAttributes: undefined } as unknown as AttributeDef) : undefined);
    if (!def) continue;
    const kept = keep(def, `${prefix}${def.name.toLowerCase()}`, value, wanted, excluded);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function keep(
  def: AttributeDef,
  path: string,
  value: unknown,
  wanted: string[] | undefined,
  excluded: string[] | undefined,
): unknown {
  if (def.returned === 'never') return undefined;
  if (def.returned === 'always') return value;
  if (wanted) {
    if (wanted.some((w) => sameOrParent(w, path))) return value;
    // Only some sub-attributes asked for (`name.givenName`): keep those.
    const subs = wanted.filter((w) => w.startsWith(`${path}.`));
    if (subs.length && def.subAttributes && value && typeof value === 'object') {
      const pick = (item: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(item).filter(
            ([k]) =>
              subs.includes(`${path}.${k.toLowerCase()}`) || findByName(def.subAttributes!, k)?.returned === 'always',
          ),
        );
      return Array.isArray(value)
        ? value.map((v) => pick(v as Record<string, unknown>))
        : pick(value as Record<string, unknown>);
    }
    return undefined;
  }
  if (def.returned === 'request') return undefined;
  if (excluded?.includes(path)) return undefined;
  const excludedSubs = excluded?.filter((e) => e.startsWith(`${path}.`)) ?? [];
  if (excludedSubs.length && value && typeof value === 'object') {
    const drop = (item: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(item).filter(([k]) => !excludedSubs.includes(`${path}.${k.toLowerCase()}`)));
    return Array.isArray(value)
      ? value.map((v) => drop(v as Record<string, unknown>))
      : drop(value as Record<string, unknown>);
  }
  return value;
}

const sameOrParent = (asked: string, path: string) =>
  asked === path || path.startsWith(`${asked}.`) || path.startsWith(`${asked}:`);

/** Canonical lower-case path for comparison; unknown names compare as written. */
function resolvedPath(registry: SchemaRegistry, name: string): string {
  return (registry.resolve(name)?.canonicalPath ?? name).toLowerCase();
}
