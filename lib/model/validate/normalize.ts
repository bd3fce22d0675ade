import { InvalidInput, invalidInput } from '../errors.js';
import { assertOpenKey, leaf, type ResolvedAttribute, type SchemaRegistry } from '../schemas/registry.js';
import type { DocumentRules } from '../settings.js';
import type { ResourceDocument } from '../types.js';
import { validateDocument } from './ajv-schema.js';
import { MAX_OBJECT_KEYS } from '../limits.js';
import { isObject, isOpenValue, KeyIndex, normalizeValue, tooManyKeys } from './values.js';

/**
 * `allowExtensionPassthrough`: keep attributes of undeclared extension URNs as sent (else 400
 * invalidValue). `acceptPassword`: keep writeOnly `password` for the caller to hash (else it is
 * dropped) — the only place that decides it.
 */
export interface NormalizeOptions extends DocumentRules {
  /** POST and PUT bodies follow the same rules (RFC 7644 §3.3, §3.5.1); PATCH results use 'replace'. */
  mode: 'create' | 'replace';
}

/**
 * A client's resource body as a ResourceDocument: canonical attribute names, extension
 * attributes nested under their schema URN, lenient Entra spellings read, read-only and unknown
 * attributes dropped, then types checked against the schema definitions.
 */
export function normalizeResource(
  registry: SchemaRegistry,
  body: unknown,
  options: NormalizeOptions,
): ResourceDocument {
  if (!isObject(body)) throw new InvalidInput('invalidSyntax', 'The request body must be a JSON object');
  const entries = Object.entries(body);
  if (entries.length > MAX_OBJECT_KEYS) throw tooManyKeys('request body');
  const attributes: ResourceDocument = {};
  const keys = new KeyIndex();
  for (const [key, value] of entries) placeAttribute(registry, attributes, key, value, options, keys);
  if (registry.kind === 'User' && attributes.userName === undefined) fillUserName(attributes, options.userNameFallback);
  const document = { schemas: schemasPresent(registry, attributes), ...attributes };
  validateDocument(registry, document);
  assertSinglePrimary(registry, document);
  return document;
}

function placeAttribute(
  registry: SchemaRegistry,
  document: ResourceDocument,
  key: string,
  value: unknown,
  options: NormalizeOptions,
  keys: KeyIndex,
): void {
  // `schemas` is recomputed from the attributes present.
  if (key.toLowerCase() === 'schemas') return;
  if (!/^urn:/i.test(key)) return placeResolved(document, registry.resolveIn(registry.core, key), value, options, keys);

  const schema = registry.schemaByUrn(key);
  if (schema) {
    // `"urn:…:enterprise:2.0:User": {"department": "x"}`
    if (value === null || value === undefined) return;
    if (!isObject(value)) throw invalidInput(`'${schema.id}' must be an object of attributes`);
    const inner = Object.entries(value);
    if (inner.length > MAX_OBJECT_KEYS) throw tooManyKeys(schema.id);
    for (const [name, attribute] of inner) {
      assertOpenKey(schema, name);
      placeResolved(document, registry.resolveIn(schema, name), attribute, options, keys);
    }
    return;
  }
  // `"urn:…:enterprise:2.0:User:department": "x"`
  const split = registry.splitUrn(key);
  if (split) {
    assertOpenKey(split.schema, split.rest);
    return placeResolved(document, registry.resolve(key), value, options, keys);
  }

  if (!options.allowExtensionPassthrough)
    throw invalidInput(`Attribute '${key}' belongs to an undeclared schema extension`);
  document[key] = value;
}

/** Stores a value at its canonical place; unknown (undefined) and non-writable attributes are dropped. */
function placeResolved(
  document: ResourceDocument,
  resolved: ResolvedAttribute | undefined,
  value: unknown,
  options: NormalizeOptions,
  keys: KeyIndex,
): void {
  if (!resolved || !isClientWritable(resolved, options)) return;
  const normalized = normalizeValue(leaf(resolved), value, isOpenValue(resolved));
  if (normalized === undefined) return;
  const container = resolved.extension ? keys.childObject(document, resolved.schema.id) : document;
  const target = resolved.subAttribute ? keys.childObject(container, resolved.attribute.name) : container;
  target[keys.keyIn(target, leaf(resolved).name)] = normalized;
}

/**
 * Read-only attributes (id, meta, groups) are the server's: clients echo them back, so they are
 * ignored rather than refused. writeOnly ones (password) are kept only for a caller that hashes them.
 */
function isClientWritable(resolved: ResolvedAttribute, options: { acceptPassword: boolean }): boolean {
  const mutabilities = [resolved.attribute.mutability, resolved.subAttribute?.mutability];
  if (mutabilities.includes('readOnly')) return false;
  return options.acceptPassword || !mutabilities.includes('writeOnly');
}

function schemasPresent(registry: SchemaRegistry, attributes: ResourceDocument): string[] {
  const declared = registry.extensions.filter((schema) => isObject(attributes[schema.id])).map((schema) => schema.id);
  const passedThrough = Object.keys(attributes).filter(
    (key) => /^urn:/i.test(key) && !registry.splitUrn(key) && isObject(attributes[key]),
  );
  return [registry.core.id, ...declared, ...passedThrough];
}

function fillUserName(document: ResourceDocument, from: NormalizeOptions['userNameFallback']): void {
  const value = from === 'externalId' ? document.externalId : from === 'email' ? primaryEmail(document) : undefined;
  if (typeof value === 'string' && value !== '') document.userName = value;
}

/** The primary email's value, else the first one's. */
export function primaryEmail(document: ResourceDocument): string | undefined {
  const emails = Array.isArray(document.emails)
    ? (document.emails as Array<{ value?: unknown; primary?: unknown }>)
    : [];
  const chosen = emails.find((e) => e.primary === true) ?? emails[0];
  return typeof chosen?.value === 'string' ? chosen.value : undefined;
}

/** RFC 7643 §2.4: the primary value "true" MUST appear no more than once. */
function assertSinglePrimary(registry: SchemaRegistry, document: ResourceDocument): void {
  for (const schema of [registry.core, ...registry.extensions]) {
    const container = schema === registry.core ? document : document[schema.id];
    if (!isObject(container)) continue;
    for (const attribute of schema.attributes.filter((a) => a.multiValued)) {
      const values = container[attribute.name];
      const primaries = Array.isArray(values) ? values.filter((v) => isObject(v) && v.primary === true).length : 0;
      if (primaries > 1) throw invalidInput(`At most one value of '${attribute.name}' may be primary`);
    }
  }
}
