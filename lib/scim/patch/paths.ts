import { invalidPath } from '../errors.js';
import type { AttrPath, Filter } from '../../model/filter.js';
import { parsePatchPath } from '../filter/parse.js';
import { resolveFilter } from '../filter/resolve.js';
import type { ResolvedAttribute, SchemaRegistry } from '../../model/schemas/registry.js';

/** What a PATCH path names (RFC 7644 §3.5.2 `path` = attrPath / valuePath [subAttr]). */
export interface PatchTarget {
  /** The path as written, for error details. */
  path: string;
  /** The attribute, and the sub-attribute for `name.givenName` or `emails[type eq "work"].value`. */
  resolved: ResolvedAttribute;
  /** The value selection of `emails[type eq "work"]`, bound to the sub-attributes (see resolveFilter). */
  filter?: Filter;
}

/**
 * Resolves a path against the schemas, case-insensitively. Undefined for a well-formed path that
 * names no attribute, so that the caller chooses between invalidPath and ignoring it.
 */
export function resolveTarget(registry: SchemaRegistry, path: string): PatchTarget | undefined {
  // Throws invalidPath for a path that cannot be read, filter included.
  const parsed = parsePatchPath(path);
  const named = registry.resolve(parsed.attribute.raw);
  if (!named) return undefined;
  if (parsed.filter && (named.subAttribute || !named.attribute.multiValued)) {
    throw invalidPath(`Invalid path '${path}': only a multi-valued attribute takes a value filter`);
  }
  const resolved =
    parsed.subAttribute === undefined
      ? named
      : registry.resolveIn(named.schema, named.attribute.name, parsed.subAttribute);
  if (!resolved) return undefined;
  return { path, resolved, filter: parsed.filter && bindValueFilter(registry, parsed.attribute, parsed.filter) };
}

/**
 * The filter paths resolved as sub-attributes of the attribute and the values coerced to their
 * types (`primary eq "True"`): unknown sub-attributes are refused even when no element would be
 * looked at, so that a remove on an empty list still reports a bad path.
 */
function bindValueFilter(registry: SchemaRegistry, attribute: AttrPath, filter: Filter): Filter {
  const bound = resolveFilter({ kind: 'valuePath', path: attribute, filter }, registry);
  return bound.kind === 'valuePath' ? bound.filter : bound;
}
