import { PolicyRefusal } from '../model/errors.js';
import { USER_REGISTRY, type ResolvedAttribute } from '../model/schemas/registry.js';
import type { ConnectorSettings, ResourceDocument } from '../model/types.js';

/**
 * The platform guides' per-connector rules for user documents, applied after validation and before the
 * store write: which attributes must be present, which values a multi-valued attribute's
 * `type` (or any string attribute) may take, what is kept from creation on, and whether
 * userName may change after insert.
 */
export type UserPolicySettings = Pick<ConnectorSettings, 'requiredAttributes' | 'allowedValues' | 'createOnlyAttributes' | 'userNameImmutable'>;

interface Location { container: (doc: ResourceDocument) => Record<string, unknown> | undefined; key: string; sub?: string; multiValued: boolean }

function locate(path: string): Location {
  const resolved = USER_REGISTRY.resolve(path);
  if (!resolved) throw new Error(`unknown user attribute "${path}"`);
  return locationOf(resolved);
}

function locationOf(r: ResolvedAttribute): Location {
  const urn = r.extension ? r.schema.id : undefined;
  return {
    container: (doc) => (urn ? (doc[urn] as Record<string, unknown> | undefined) : doc),
    key: r.attribute.name,
    sub: r.subAttribute?.name,
    multiValued: r.attribute.multiValued,
  };
}

/** Every value at a path: one for a single-valued attribute, one per element for a multi-valued one. */
function valuesAt(doc: ResourceDocument, path: string): unknown[] {
  const at = locate(path);
  const top = at.container(doc)?.[at.key];
  if (top === undefined || top === null) return [];
  const items = Array.isArray(top) ? top : [top];
  return at.sub ? items.map((item) => (item as Record<string, unknown> | null)?.[at.sub!]).filter((v) => v !== undefined && v !== null) : items;
}

const present = (v: unknown) => v !== '' && !(Array.isArray(v) && v.length === 0);

export function applyUserPolicy(settings: UserPolicySettings, document: ResourceDocument, previous?: ResourceDocument): ResourceDocument {
  const doc = structuredClone(document);
  if (previous) {
    // IFS Ultimo: userName comes from the UPN at insert and is never changed afterwards.
    if (settings.userNameImmutable) doc.userName = previous.userName;
    // Staffbase: e.g. locale is applied only on creation; later values are the platform's.
    for (const path of settings.createOnlyAttributes) copyAttribute(previous, doc, path);
  }
  for (const path of settings.requiredAttributes) {
    if (!valuesAt(doc, path).some(present)) throw new PolicyRefusal('rule', `${path} is required by this connector`);
  }
  for (const [path, allowed] of Object.entries(settings.allowedValues)) {
    const wanted = new Set(allowed.map((a) => a.toLowerCase()));
    for (const value of valuesAt(doc, path)) {
      if (!wanted.has(String(value).toLowerCase())) {
        throw new PolicyRefusal('rule', `${path} "${String(value)}" is not accepted by this connector; allowed values: ${allowed.join(', ')}`);
      }
    }
  }
  return doc;
}

function copyAttribute(from: ResourceDocument, to: ResourceDocument, path: string): void {
  const at = locate(path);
  const source = at.container(from);
  let target = at.container(to);
  const value = at.sub ? (source?.[at.key] as Record<string, unknown> | undefined)?.[at.sub] : source?.[at.key];
  if (!target) {
    if (value === undefined) return;
    const resolved = USER_REGISTRY.resolve(path)!;
    target = {};
    to[resolved.schema.id] = target;
  }
  if (!at.sub) {
    if (value === undefined) delete target[at.key];
    else target[at.key] = structuredClone(value);
    return;
  }
  const parent = { ...((target[at.key] as Record<string, unknown> | undefined) ?? {}) };
  if (value === undefined) delete parent[at.sub];
  else parent[at.sub] = structuredClone(value);
  if (Object.keys(parent).length) target[at.key] = parent;
  else delete target[at.key];
}
