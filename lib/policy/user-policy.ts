import { PolicyRefusal } from '../model/errors.js';
import { USER_REGISTRY, type ResolvedAttribute } from '../model/schemas/registry.js';
import { resolveSettingPath } from '../model/schemas/typed-path.js';
import type { ConnectorSettings, RequiredAttribute, ResourceDocument } from '../model/types.js';

/**
 * The platform guides' per-connector rules for user documents, applied after validation and before the
 * store write: which attributes must be present, which values a multi-valued attribute's
 * `type` (or any string attribute) may take, what is kept from creation on, and whether
 * userName may change after insert.
 */
export type UserPolicySettings = Pick<
  ConnectorSettings,
  'requiredAttributes' | 'allowedValues' | 'createOnlyAttributes' | 'userNameImmutable' | 'primaryByType'
>;

interface Location {
  container: (doc: ResourceDocument) => Record<string, unknown> | undefined;
  key: string;
  sub?: string;
  multiValued: boolean;
}

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

/**
 * Every value at a path: one for a single-valued attribute, one per element for a multi-valued
 * one; a typed path (`emails[type eq "work"].value`) keeps the elements of that type only.
 */
function valuesAt(doc: ResourceDocument, path: string): unknown[] {
  const setting = resolveSettingPath(path);
  if (!setting) throw new Error(`unknown user attribute "${path}"`);
  const at = locationOf(setting.resolved);
  const top = at.container(doc)?.[at.key];
  if (top === undefined || top === null) return [];
  let items: unknown[] = Array.isArray(top) ? top : [top];
  if (setting.type !== undefined) items = items.filter((item) => sameType(item, setting.type!));
  return at.sub
    ? items
        .map((item) => (item as Record<string, unknown> | null)?.[at.sub!])
        .filter((v) => v !== undefined && v !== null)
    : items;
}

const sameType = (item: unknown, type: string) => {
  const value = (item as Record<string, unknown> | null)?.type;
  return typeof value === 'string' && value.toLowerCase() === type.toLowerCase();
};

const present = (v: unknown) => v !== '' && !(Array.isArray(v) && v.length === 0);

/** Whether a requirement holds: the path has a value, or (the conditional form) its `ifSent` attribute was not sent. */
function meets(doc: ResourceDocument, requirement: RequiredAttribute): boolean {
  if (typeof requirement !== 'string' && !valuesAt(doc, requirement.ifSent).some(present)) return true;
  return valuesAt(doc, typeof requirement === 'string' ? requirement : requirement.path).some(present);
}

/** The refusal's words: the path, and for the conditional form when it applies. */
const requirementText = (r: RequiredAttribute) => (typeof r === 'string' ? r : `${r.path} (when ${r.ifSent} is sent)`);

/**
 * The connector's document rules over a normalised user document: on an update, `userNameImmutable` and
 * `createOnlyAttributes` keep the previous values; then `requiredAttributes` and `allowedValues` are checked and
 * `primaryByType` marks the primary values. Answers a new document; the input is not changed.
 *
 * @throws {@link PolicyRefusal} `rule` when a required attribute is missing or a value is not allowed.
 */
export function applyUserPolicy(
  settings: UserPolicySettings,
  document: ResourceDocument,
  previous?: ResourceDocument,
): ResourceDocument {
  const doc = structuredClone(document);
  if (previous) {
    // IFS Ultimo: userName comes from the UPN at insert and is never changed afterwards.
    if (settings.userNameImmutable) doc.userName = previous.userName;
    // Staffbase: e.g. locale is applied only on creation; later values are the platform's.
    for (const path of settings.createOnlyAttributes) copyAttribute(previous, doc, path);
  }
  for (const requirement of settings.requiredAttributes) {
    if (!meets(doc, requirement))
      throw new PolicyRefusal('rule', `${requirementText(requirement)} is required by this connector`);
  }
  for (const [path, allowed] of Object.entries(settings.allowedValues)) {
    const wanted = new Set(allowed.map((a) => a.toLowerCase()));
    for (const value of valuesAt(doc, path)) {
      if (!wanted.has(String(value).toLowerCase())) {
        throw new PolicyRefusal(
          'rule',
          `${path} "${String(value)}" is not accepted by this connector; allowed values: ${allowed.join(', ')}`,
        );
      }
    }
  }
  for (const [path, type] of Object.entries(settings.primaryByType)) markPrimary(doc, path, type);
  return doc;
}

/**
 * `primaryByType`: the value of this type becomes the primary one. Among several of the type the
 * one the client marked primary wins, else the first; without a value of the type, nothing moves.
 */
function markPrimary(doc: ResourceDocument, path: string, type: string): void {
  const at = locate(path);
  const values = at.container(doc)?.[at.key];
  if (!Array.isArray(values)) return;
  const ofType = values.filter((v) => sameType(v, type)) as Array<Record<string, unknown>>;
  const chosen = ofType.find((v) => v.primary === true) ?? ofType[0];
  if (!chosen) return;
  for (const value of values as Array<Record<string, unknown>>) {
    if (value === chosen) value.primary = true;
    else delete value.primary;
  }
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
