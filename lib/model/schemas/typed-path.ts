import { USER_REGISTRY, type ResolvedAttribute, type SchemaRegistry } from './registry.js';

/**
 * An attribute path a connector setting names, as Entra's mapping editor spells its targets:
 * a plain path (`name.givenName`, `urn:…:enterprise:2.0:User:department`) or one type's values
 * of a multi-valued attribute (`emails[type eq "work"].value`). Only the `type eq "…"` value
 * filter is read here: it is the one form Entra's targets use, and settings (model) cannot use
 * the SCIM filter parser (protocol layer).
 */
export interface SettingPath {
  /** The attribute (and sub-attribute) the path names, without the filter. */
  resolved: ResolvedAttribute;
  /** The type the values are narrowed to (compared case-insensitively), when the path has a filter. */
  type?: string;
}

const TYPED = /^([^[\]]+)\[\s*type\s+eq\s+"([^"\\]*)"\s*\](?:\.([A-Za-z$][\w$-]*))?$/i;

/**
 * Resolves a setting's path against the User schemas; undefined when it names no attribute, or
 * its filter is not on a multi-valued attribute with a `type` sub-attribute.
 */
export function resolveSettingPath(path: string, registry: SchemaRegistry = USER_REGISTRY): SettingPath | undefined {
  const typed = TYPED.exec(path);
  if (!typed) {
    const resolved = registry.resolve(path);
    return resolved && { resolved };
  }
  const [, attribute, type, sub] = typed;
  const resolved = registry.resolve(sub ? `${attribute.trim()}.${sub}` : attribute.trim());
  const typeDef = resolved?.attribute.subAttributes?.find((a) => a.name === 'type');
  if (!resolved || !resolved.attribute.multiValued || !typeDef) return undefined;
  return { resolved, type };
}

/**
 * The multi-valued attribute a `primaryByType` key names (`emails`, `phoneNumbers`): one whose
 * values carry both `type` and `primary`. Undefined for any other path.
 */
export function resolveTypedAttribute(
  path: string,
  registry: SchemaRegistry = USER_REGISTRY,
): ResolvedAttribute | undefined {
  const resolved = registry.resolve(path);
  const subs = resolved?.attribute.subAttributes?.map((a) => a.name) ?? [];
  if (
    !resolved ||
    resolved.subAttribute ||
    !resolved.attribute.multiValued ||
    !subs.includes('type') ||
    !subs.includes('primary')
  )
    return undefined;
  return resolved;
}
