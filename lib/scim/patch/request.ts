import { badRequest, invalidPath, invalidSyntax, invalidValue } from '../errors.js';
import { MAX_PATCH_OPERATIONS } from '../../model/limits.js';
import { URN } from '../../model/schemas/urns.js';
import { isObject, keyIn } from '../../model/validate/values.js';

/**
 * The operations of RFC 7644 §3.5.2, lower case (Entra sends `Add`, `Replace`, `Remove`; they are read in any case).
 */
export type PatchOpName = 'add' | 'remove' | 'replace';

/** One entry of a PatchOp's `Operations` (RFC 7644 §3.5.2), as read from the body. */
export interface PatchOperation {
  /** The operation, lower-cased. */
  op: PatchOpName;
  /** The target path; absent: the value is an object of attributes applied at the resource's top level. */
  path?: string;
  /** As sent: null and "" are Entra's way to clear the target. */
  value: unknown;
}

const OP_NAMES: readonly string[] = ['add', 'remove', 'replace'];

/** Member names of the request are read case-insensitively, like attribute names (RFC 7643 §2.1). */
const member = (object: Record<string, unknown>, name: string) => object[keyIn(object, name)];
const hasMember = (object: Record<string, unknown>, name: string) => keyIn(object, name) in object;

/** The operations of a PatchOp request body (RFC 7644 §3.5.2). */
export function readOperations(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('The request body must be a JSON object');
  // Entra always declares the PatchOp schema; a body without `schemas` is tolerated.
  const schemas = member(body, 'schemas');
  const declaresPatchOp =
    Array.isArray(schemas) &&
    schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.patchOp.toLowerCase());
  if (schemas !== undefined && !declaresPatchOp)
    throw invalidSyntax(`A PATCH body must declare the schema '${URN.patchOp}'`);

  const operations = member(body, 'Operations');
  if (!Array.isArray(operations)) throw invalidSyntax(`A PATCH body needs an 'Operations' array`);
  if (operations.length === 0) throw invalidValue(`'Operations' must contain at least one operation`);
  if (operations.length > MAX_PATCH_OPERATIONS)
    throw badRequest('tooMany', `A PATCH request may hold at most ${MAX_PATCH_OPERATIONS} operations`);
  return operations.map(readOperation);
}

function readOperation(operation: unknown, index: number): PatchOperation {
  if (!isObject(operation)) throw invalidSyntax(`Operations[${index}] must be an object`);
  const op = member(operation, 'op');
  // Entra capitalises the names: "Replace", "Add", "Remove".
  const name = typeof op === 'string' ? op.toLowerCase() : undefined;
  if (!name || !OP_NAMES.includes(name))
    throw invalidValue(
      `Operations[${index}]: unsupported op ${JSON.stringify(op ?? null)}; expected add, remove or replace`,
    );

  const path = member(operation, 'path');
  if (path !== undefined && path !== null && typeof path !== 'string')
    throw invalidPath(`Operations[${index}]: 'path' must be a string`);
  const trimmedPath = typeof path === 'string' ? path.trim() : '';
  // A missing value is an error; an explicit null is not (it clears the target).
  if (name !== 'remove' && !hasMember(operation, 'value'))
    throw invalidValue(`Operations[${index}]: '${name}' needs a value`);
  return { op: name as PatchOpName, path: trimmedPath || undefined, value: member(operation, 'value') };
}
