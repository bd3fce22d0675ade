import { isDeepStrictEqual } from 'node:util';
import { noTarget } from '../errors.js';
import type { ResourceDocument } from '../../model/types.js';
import {
  childObject,
  isObject,
  isOpenValue,
  keyIn,
  normalizeElement,
  normalizeValue,
} from '../../model/validate/values.js';
import { elementFromFilter, matchesExample, matchesFilter } from './match.js';
import type { PatchTarget } from './paths.js';
import type { PatchOpName } from './request.js';

/**
 * RFC 7644 §3.5.2.1–3 on the attribute a target names, in place on a working copy. Values are
 * read leniently first (normalizeValue), so an absent result (null, "", {}) clears the target:
 * that is how Entra removes a value with `replace`.
 */
export function applyToAttribute(document: ResourceDocument, op: PatchOpName, target: PatchTarget, raw: unknown): void {
  const { resolved } = target;
  // Containers created here and left empty are dropped by the final normalisation.
  const container = resolved.extension ? childObject(document, resolved.schema.id) : document;
  const name = keyIn(container, resolved.attribute.name);
  if (resolved.attribute.multiValued && (target.filter || resolved.subAttribute))
    return applyToElements(container, name, op, target, raw);
  if (resolved.subAttribute) {
    const value = op === 'remove' ? undefined : normalizeValue(resolved.subAttribute, raw);
    return setOrDelete(childObject(container, name), resolved.subAttribute.name, value);
  }
  applyToWhole(container, name, op, target, raw);
}

function applyToWhole(
  container: Record<string, unknown>,
  name: string,
  op: PatchOpName,
  { resolved }: PatchTarget,
  raw: unknown,
): void {
  const { attribute } = resolved;
  const value = normalizeValue(attribute, raw, isOpenValue(resolved));
  const current = container[name];
  if (op === 'remove') {
    // A remove with a value takes out the matching values only: `{"path": "roles", "value": [{"value": "x"}]}`.
    const examples = attribute.multiValued && Array.isArray(value) ? value : undefined;
    setOrDelete(
      container,
      name,
      examples &&
        asList(current).filter((element) => !examples.some((example) => matchesExample(element, example, attribute))),
    );
  } else if (!attribute.multiValued) {
    // RFC 7644: sub-attributes not given in a complex value are left unchanged; add on a single value replaces it.
    setOrDelete(container, name, isObject(value) && isObject(current) ? { ...current, ...value } : value);
  } else if (op === 'replace') {
    setOrDelete(container, name, value);
  } else if (value !== undefined) {
    // add appends the values not already there.
    const existing = asList(current);
    const added = (value as unknown[]).filter(
      (element, index, all) =>
        !existing.some((e) => isDeepStrictEqual(e, element)) &&
        all.findIndex((e) => isDeepStrictEqual(e, element)) === index,
    );
    container[name] = demoteOtherPrimaries([...existing, ...added], new Set(added));
  }
}

/** Filtered (`emails[type eq "work"]`) or sub-attribute (`emails.value`, all values) targets of a multi-valued attribute. */
function applyToElements(
  container: Record<string, unknown>,
  name: string,
  op: PatchOpName,
  target: PatchTarget,
  raw: unknown,
): void {
  const { attribute, subAttribute } = target.resolved;
  const elements = asList(container[name]);
  const selected = elements.map((element) => !target.filter || matchesFilter(element, target.filter));
  const value =
    op === 'remove' ? undefined : subAttribute ? normalizeValue(subAttribute, raw) : normalizeElement(attribute, raw);

  if (!selected.includes(true)) {
    // Entra removes values that may not be there: a remove that selects nothing succeeds.
    if (value === undefined) return;
    const base = target.filter ? elementFromFilter(target.filter) : {};
    if (!base) throw noTarget(`No value of '${attribute.name}' matches '${target.path}'`);
    const created = normalizeElement(
      attribute,
      subAttribute ? { ...base, [subAttribute.name]: value } : isObject(value) ? { ...base, ...value } : value,
    );
    container[name] = demoteOtherPrimaries([...elements, created], new Set([created]));
    return;
  }

  const touched = new Set<unknown>();
  const updated = elements.flatMap((element, index) => {
    if (!selected[index]) return [element];
    const next = subAttribute
      ? withSubAttribute(element, subAttribute.name, value)
      : op === 'add' && isObject(element) && isObject(value)
        ? { ...element, ...value }
        : value;
    touched.add(next);
    return next === undefined ? [] : [next];
  });
  setOrDelete(container, name, demoteOtherPrimaries(updated, touched));
}

function withSubAttribute(element: unknown, name: string, value: unknown): unknown {
  if (!isObject(element)) return element;
  const { [name]: _previous, ...rest } = element;
  return value === undefined ? rest : { ...rest, [name]: value };
}

function setOrDelete(container: Record<string, unknown>, name: string, value: unknown): void {
  if (value === undefined) delete container[name];
  else container[name] = value;
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** RFC 7644 §3.5.2: setting one value's primary to true sets it to false on the others. */
function demoteOtherPrimaries(elements: unknown[], touched: Set<unknown>): unknown[] {
  const promoted = [...touched].some((element) => isObject(element) && element.primary === true);
  if (!promoted) return elements;
  return elements.map((element) =>
    !touched.has(element) && isObject(element) && element.primary === true ? { ...element, primary: false } : element,
  );
}
