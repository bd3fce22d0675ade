/**
 * The normalised form used for case-insensitive uniqueness and lookups: Unicode NFC, then
 * lower case. Accents are kept (josé ≠ jose), letter case is not (ALICE = alice).
 * Truncated to the key columns' width so that long values still index.
 */
export const KEY_LENGTH = 255;

export function normalizeKey(value: string): string {
  return value.normalize('NFC').toLowerCase().slice(0, KEY_LENGTH);
}
