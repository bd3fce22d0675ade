import { invalidFilter, invalidPath, invalidValue } from '../errors.js';
import type { Filter } from '../../model/filter.js';
import type { MemberInput, MembershipChange } from '../../model/types.js';
import { isObject, keyIn } from '../../model/validate/values.js';
import type { PatchTarget } from './paths.js';
import type { PatchOpName } from './request.js';

/**
 * Group `members` operations do not edit the document: memberships are rows, changed in order
 * by the store. Sub-attribute paths never get here (members' sub-attributes are immutable).
 * Undefined when the operation changes nothing (an add of no members).
 */
export function membershipChange(op: PatchOpName, target: PatchTarget, value: unknown): MembershipChange | undefined {
  if (target.filter) {
    if (op !== 'remove') throw invalidPath(`'${target.path}': members are selected by a filter only to remove them`);
    return { op: 'remove', userIds: memberIdsOf(target.filter) };
  }
  const members = readMembers(value);
  switch (op) {
    case 'add':
      return members.length ? { op: 'add', members } : undefined;
    case 'replace':
      return { op: 'replace', members };
    case 'remove':
      // Entra: {"op": "Remove", "path": "members", "value": [{"value": "id"}]}; without a value, all of them.
      if (value === null || value === undefined) return { op: 'removeAll' };
      return members.length ? { op: 'remove', userIds: members.map((m) => m.value) } : undefined;
  }
}

/** `members[value eq "a"]`, `members[value eq "a" or value eq "b"]`. */
function memberIdsOf(filter: Filter): string[] {
  if (filter.kind === 'or') return [...memberIdsOf(filter.left), ...memberIdsOf(filter.right)];
  if (
    filter.kind === 'compare' &&
    filter.op === 'eq' &&
    filter.path.resolved?.subAttribute?.name === 'value' &&
    typeof filter.value === 'string'
  )
    return [filter.value];
  throw invalidFilter(`Members are selected by 'value eq "id"' comparisons joined by 'or'`);
}

/**
 * A list of `{value, display}`, a single one, or Microsoft's validator's bare id string. Entra
 * and others also spell `display` as `displayName`.
 */
function readMembers(value: unknown): MemberInput[] {
  const items = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
  return items.map((item) => {
    if (typeof item === 'string' && item) return { value: item };
    const member = isObject(item) ? item : {};
    const id = member[keyIn(member, 'value')];
    if (typeof id !== 'string' || !id) throw invalidValue(`Each member needs a string 'value' (the member's id)`);
    const display = member[keyIn(member, 'display')] ?? member[keyIn(member, 'displayName')];
    return typeof display === 'string' ? { value: id, display } : { value: id };
  });
}
