import { isDeepStrictEqual } from 'node:util';
import { badRequest, invalidPath, invalidValue, mutability, noTarget } from '../errors.js';
import type { DocumentRules } from '../../model/settings.js';
import { assertOpenKey, type SchemaRegistry } from '../../model/schemas/registry.js';
import type { SchemaDef } from '../../model/schemas/types.js';
import type { MembershipChange, ResourceDocument } from '../../model/types.js';
import { normalizeResource } from '../../model/validate/normalize.js';
import { isObject, keyIn } from '../../model/validate/values.js';
import { MAX_MULTI_VALUES, MAX_OBJECT_KEYS } from '../../model/limits.js';
import { applyToAttribute } from './attribute-ops.js';
import { membershipChange } from './members.js';
import { resolveTarget, type PatchTarget } from './paths.js';
import { readOperations, type PatchOperation, type PatchOpName } from './request.js';

/** What a connector's settings tell the PATCH engine (extension passthrough, password, userName fallback). */
export type PatchOptions = DocumentRules;

/** What applying a PatchOp (RFC 7644 §3.5.2) produced: the new document and, for groups, the membership steps. */
export interface PatchResult {
  /** The patched document, normalised and validated like a PUT body. */
  document: ResourceDocument;
  /** Group `members` operations, in request order, for the store to apply. */
  membership: MembershipChange[];
  /** Whether the document differs from the one given; membership changes are reported apart, in `membership`. */
  changed: boolean;
}

interface Working {
  registry: SchemaRegistry;
  document: ResourceDocument;
  membership: MembershipChange[];
  options: PatchOptions;
  /** Keys of path-less operation values so far (see entriesOf). */
  valueKeys: number;
}

/**
 * Where a path comes from. An operation's `path` is held strictly (unknown → invalidPath,
 * read-only → mutability); the keys of a path-less value follow the rules of a PUT body
 * (unknown and read-only keys are ignored), since clients send whole resources that way.
 */
type Origin = 'path' | 'valueKey';

/**
 * RFC 7644 §3.5.2 PATCH with Microsoft Entra's dialect. Throws a ScimError on the first failing
 * operation; the input document is never modified, so a failed request changes nothing.
 */
export function applyPatch(
  registry: SchemaRegistry,
  document: ResourceDocument,
  body: unknown,
  options: PatchOptions,
): PatchResult {
  const operations = readOperations(body);
  const working: Working = { registry, document: structuredClone(document), membership: [], options, valueKeys: 0 };
  for (const operation of operations) applyOperation(working, operation);
  const members = working.membership.reduce(
    (n, change) => n + ('members' in change ? change.members.length : 'userIds' in change ? change.userIds.length : 0),
    0,
  );
  if (members > MAX_MULTI_VALUES)
    throw badRequest('tooMany', `A PATCH request may name at most ${MAX_MULTI_VALUES} members`);
  const result = normalizeResource(registry, working.document, { ...options, mode: 'replace' });
  const changed = !isDeepStrictEqual(withoutSchemas(result), withoutSchemas(document));
  return { document: result, membership: working.membership, changed };
}

function applyOperation(working: Working, { op, path, value }: PatchOperation): void {
  if (path !== undefined) return applyAt(working, op, path, value, 'path');
  if (op === 'remove') throw noTarget('A remove operation needs a path');
  if (!isObject(value))
    throw invalidValue(`An '${op}' operation without a path needs an object of attributes as its value`);
  for (const [key, inner] of entriesOf(working, value)) applyAt(working, op, key, inner, 'valueKey');
}

function applyAt(working: Working, op: PatchOpName, path: string, value: unknown, origin: Origin): void {
  const { registry } = working;
  const lenient = origin === 'valueKey';
  if (lenient && path.toLowerCase() === 'schemas') return;

  const schema = registry.schemaByUrn(path);
  if (schema) return applyToSchema(working, op, schema, value);
  if (/^urn:/i.test(path) && !registry.splitUrn(path))
    return applyToUndeclaredExtension(working, op, path, value, origin);

  const split = registry.splitUrn(path);
  if (split) assertOpenKey(split.schema, split.rest);
  const target = resolveTarget(registry, path);
  if (!target) {
    if (lenient) return;
    throw invalidPath(`No attribute matches the path '${path}'`);
  }
  // Read-only values echoed in a path-less value are ignored; naming one, or an immutable one, is refused.
  const blocked = [target.resolved.attribute.mutability, target.resolved.subAttribute?.mutability].find(
    (m) => m === 'readOnly' || m === 'immutable',
  );
  if (blocked) {
    if (lenient && blocked === 'readOnly') return;
    throw mutability(`Attribute '${target.resolved.canonicalPath}' is ${blocked}`);
  }
  if (isGroupMembers(registry, target)) {
    const change = membershipChange(op, target, value);
    if (change) working.membership.push(change);
    return;
  }
  applyToAttribute(working.document, op, target, value);
}

/** `"urn:…:enterprise:2.0:User": {"department": "x"}`: each key is an attribute of that schema. */
function applyToSchema(working: Working, op: PatchOpName, schema: SchemaDef, value: unknown): void {
  if (op === 'remove' || value === null) {
    delete working.document[keyIn(working.document, schema.id)];
    return;
  }
  if (!isObject(value)) throw invalidValue(`The value of '${schema.id}' must be an object of attributes`);
  for (const [name, inner] of entriesOf(working, value))
    applyAt(working, op, `${schema.id}:${name}`, inner, 'valueKey');
}

/** Kept as an opaque value when passthrough is allowed; never interpreted. */
function applyToUndeclaredExtension(
  working: Working,
  op: PatchOpName,
  path: string,
  value: unknown,
  origin: Origin,
): void {
  const detail = `'${path}' belongs to an undeclared schema extension`;
  if (!working.options.allowExtensionPassthrough)
    throw origin === 'path' ? invalidPath(detail) : invalidValue(`Attribute ${detail}`);
  const key = keyIn(working.document, path);
  if (op === 'remove' || value === null) delete working.document[key];
  else working.document[key] = value;
}

/** Attributes given as object keys, counted over the whole request: each costs a key lookup in the document. */
function entriesOf(working: Working, value: Record<string, unknown>): Array<[string, unknown]> {
  const entries = Object.entries(value);
  working.valueKeys += entries.length;
  if (working.valueKeys > MAX_OBJECT_KEYS)
    throw badRequest(
      'tooMany',
      `A PATCH request may set at most ${MAX_OBJECT_KEYS} attributes through operation values`,
    );
  return entries;
}

const isGroupMembers = (registry: SchemaRegistry, target: PatchTarget) =>
  registry.kind === 'Group' && !target.resolved.extension && target.resolved.attribute.name === 'members';

function withoutSchemas(document: ResourceDocument): ResourceDocument {
  const { schemas: _schemas, ...attributes } = document;
  return attributes;
}
