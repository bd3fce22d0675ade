import { COMMON_ATTRIBUTES, GROUP_SCHEMA, isResourceLevelName, USER_EXTENSIONS, USER_SCHEMA } from './definitions.js';
import { InvalidInput } from '../errors.js';
import { attr } from './define.js';
import type { AttributeDef, SchemaDef } from './types.js';

/** The SCIM resource types the connector serves (RFC 7643 §4). */
export type ResourceKind = 'User' | 'Group';

/** An attribute path resolved against the schemas: canonical names, the definitions that govern it. */
export interface ResolvedAttribute {
  /** The schema that declares the top-level attribute (the core schema for common attributes). */
  schema: SchemaDef;
  /** True when the schema is an extension (its values live under the URN key). */
  extension: boolean;
  /** The top-level attribute. */
  attribute: AttributeDef;
  /** The sub-attribute, when the path names one. */
  subAttribute?: AttributeDef;
  /** `name.givenName`, `emails.value`, or `urn:…:enterprise:2.0:User:department` for extensions. */
  canonicalPath: string;
}

/** The attribute a path finally names: the sub-attribute when there is one. */
export function leaf(resolved: ResolvedAttribute): AttributeDef {
  return resolved.subAttribute ?? resolved.attribute;
}

const OPEN_VALUE = (name: string) => attr(name, 'string', 'A free-form value, stored as a string.');

/**
 * The schemas of one resource type — core plus the extensions a connector accepts — and the resolution of
 * attribute paths against them (case-insensitive, RFC 7643 §2.1), as validation, filters, PATCH and sorting need it.
 */
export class SchemaRegistry {
  readonly core: SchemaDef;
  readonly extensions: SchemaDef[];

  /** `extensions`: the User extensions a connector declares (all built-in ones when not given). */
  constructor(
    readonly kind: ResourceKind,
    extensions?: SchemaDef[],
  ) {
    this.core = kind === 'User' ? USER_SCHEMA : GROUP_SCHEMA;
    this.extensions = kind === 'User' ? (extensions ?? USER_EXTENSIONS) : [];
  }

  get schemaIds(): string[] {
    return [this.core.id, ...this.extensions.map((s) => s.id)];
  }

  /** The schema with this URN (case-insensitive), if the resource type declares it. */
  schemaByUrn(urn: string): SchemaDef | undefined {
    const wanted = urn.toLowerCase();
    return [this.core, ...this.extensions].find((s) => s.id.toLowerCase() === wanted);
  }

  /**
   * Splits `urn:…:User:department` into the schema URN and the attribute path after it.
   * Returns undefined when the text does not start with a declared schema URN.
   */
  splitUrn(path: string): { schema: SchemaDef; rest: string } | undefined {
    const lower = path.toLowerCase();
    // The longest matching URN wins: the core User URN is a prefix of nothing else, but be exact.
    const candidates = [this.core, ...this.extensions]
      .filter((s) => lower === s.id.toLowerCase() || lower.startsWith(s.id.toLowerCase() + ':'))
      .sort((a, b) => b.id.length - a.id.length);
    const schema = candidates[0];
    if (!schema) return undefined;
    return { schema, rest: path.slice(schema.id.length + 1) };
  }

  /**
   * Resolves `attr`, `attr.sub` (optionally prefixed by a schema URN) case-insensitively
   * (RFC 7643 §2.1). Returns undefined for an unknown attribute.
   */
  resolve(path: string): ResolvedAttribute | undefined {
    let schema = this.core;
    let rest = path;
    if (/^urn:/i.test(path)) {
      const split = this.splitUrn(path);
      if (!split) return undefined;
      schema = split.schema;
      rest = split.rest;
    }
    const dot = rest.indexOf('.');
    const top = dot < 0 ? rest : rest.slice(0, dot);
    const sub = dot < 0 ? undefined : rest.slice(dot + 1);
    if (!top) return undefined;
    return this.resolveIn(schema, top, sub);
  }

  resolveIn(schema: SchemaDef, top: string, sub?: string): ResolvedAttribute | undefined {
    const extension = schema !== this.core;
    const pool = extension ? schema.attributes : [...COMMON_ATTRIBUTES, ...schema.attributes];
    let attribute = findByName(pool, top);
    // A key named like the resource's own schemas, id or meta is no attribute (see assertOpenKey).
    if (!attribute && extension && schema.open && sub === undefined && !isResourceLevelName(top))
      attribute = OPEN_VALUE(top);
    if (!attribute) return undefined;
    let subAttribute: AttributeDef | undefined;
    if (sub !== undefined) {
      if (attribute.type !== 'complex' || !attribute.subAttributes) return undefined;
      subAttribute = findByName(attribute.subAttributes, sub);
      if (!subAttribute) return undefined;
    }
    const local = subAttribute ? `${attribute.name}.${subAttribute.name}` : attribute.name;
    return { schema, extension, attribute, subAttribute, canonicalPath: extension ? `${schema.id}:${local}` : local };
  }
}

/**
 * Refuses a key of an open extension (Metadata) named like a resource-level name (`schemas`, `id`,
 * `meta`, `externalId`): writes call it where they would otherwise ignore it as unknown.
 */
export function assertOpenKey(schema: SchemaDef, name: string): void {
  if (schema.open && isResourceLevelName(name) && !findByName(schema.attributes, name)) {
    throw new InvalidInput(
      'invalidValue',
      `'${name}' is a SCIM resource-level name and cannot be a key of ${schema.name}`,
    );
  }
}

/** The attribute of that name in a list of definitions, in any letter case (RFC 7643 §2.1). */
export function findByName(pool: AttributeDef[], name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return pool.find((a) => a.name.toLowerCase() === wanted);
}

/**
 * The User registry with every built-in extension: for checks that do not depend on a connector's own set
 * (settings paths, the mapping sheet).
 */
export const USER_REGISTRY = new SchemaRegistry('User');
/** The Group registry (no extensions). */
export const GROUP_REGISTRY = new SchemaRegistry('Group');

/** The registry of a resource type with every built-in extension. */
export function registryFor(kind: ResourceKind): SchemaRegistry {
  return kind === 'User' ? USER_REGISTRY : GROUP_REGISTRY;
}
