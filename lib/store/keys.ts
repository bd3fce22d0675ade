/**
 * The normalised form used for case-insensitive uniqueness and lookups: Unicode NFC, then
 * lower case. Accents are kept (josé ≠ jose), letter case is not (ALICE = alice).
 * Cut to the key columns' width so that long values still index; identifiers are refused above
 * MAX_IDENTIFIER_LENGTH before they get here, and filters refuse literals longer than a key.
 */
import { KEY_LENGTH } from '../model/limits.js';

export { KEY_LENGTH };

/**
 * The lookup key of an identifier: NFC-normalised, lower-cased and cut to the key column's width, so that lookups
 * are case-insensitive (RFC 7643 §2.1's caseExact false) on every database without relying on a collation.
 */
export function normalizeKey(value: string, width = KEY_LENGTH): string {
  return value.normalize('NFC').toLowerCase().slice(0, width);
}

const RESOURCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether `id` can be one of ours (ids are lower-case UUIDs). Checked before any query: the id
 * columns keep MariaDB's PAD SPACE collation (foreign keys pin it), so `<id> ` would find `<id>`.
 */
export const isResourceId = (id: string): boolean => RESOURCE_ID.test(id);
