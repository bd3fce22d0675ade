import { normalizeKey } from './keys.js';
import type { ResourceDocument } from '../model/types.js';
import { URN } from '../model/schemas/urns.js';

/**
 * The search projection of a user document: the columns and child rows that make filters
 * indexed SQL. The document itself stays the source of truth for serialisation; this is
 * recomputed on every write, in the same transaction, so the two never drift.
 */
export const VALUE_ATTRIBUTES = [
  'emails',
  'phoneNumbers',
  'ims',
  'photos',
  'entitlements',
  'roles',
  'x509Certificates',
] as const;
/** A multi-valued attribute of {@link VALUE_ATTRIBUTES}, stored one child row per value. */
export type ValueAttribute = (typeof VALUE_ATTRIBUTES)[number];

/** The user row's searchable columns (snake_case, as in the table), computed from the document. */
export interface UserColumns {
  external_id: string | null;
  user_name: string;
  user_name_key: string;
  active: boolean;
  given_name: string | null;
  family_name: string | null;
  display_name: string | null;
  display_name_key: string | null;
  title: string | null;
  user_type: string | null;
  locale: string | null;
  preferred_language: string | null;
}

/** One value of a multi-valued attribute (an email, a phone number, …) as a child row, with its lookup key. */
export interface ValueRow {
  attribute: ValueAttribute;
  position: number;
  value: string | null;
  value_key: string | null;
  type: string | null;
  display: string | null;
  is_primary: boolean;
}
/** One address of the user (RFC 7643 §4.1.2 `addresses`) as a child row. */
export interface AddressRow {
  position: number;
  type: string | null;
  formatted: string | null;
  street_address: string | null;
  locality: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  is_primary: boolean;
}
/** One value of an extension attribute as a child row (schema URN, attribute path, position), with its lookup key. */
export interface ExtensionRow {
  schema_urn: string;
  attr_path: string;
  position: number;
  value: string | null;
  value_key: string | null;
}

/** Everything a user write stores beside the document: the columns and the child rows filters run on. */
export interface UserProjection {
  columns: UserColumns;
  values: ValueRow[];
  addresses: AddressRow[];
  extensions: ExtensionRow[];
}

const str = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v); // numbers and booleans as JSON writes them
const cut = (v: string | null, n: number) => (v === null ? null : v.slice(0, n));
const key = (v: string | null) => (v === null ? null : normalizeKey(v));
const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The search projection of a normalised user document; recomputed on every write, in the write's transaction. */
export function projectUser(doc: ResourceDocument): UserProjection {
  const name = record(doc.name);
  const userName = String(doc.userName);
  const displayName = cut(str(doc.displayName), 255);
  const columns: UserColumns = {
    external_id: cut(str(doc.externalId), 255),
    user_name: userName,
    user_name_key: normalizeKey(userName),
    active: doc.active !== false,
    given_name: cut(str(name.givenName), 255),
    family_name: cut(str(name.familyName), 255),
    display_name: displayName,
    display_name_key: key(displayName),
    title: cut(str(doc.title), 255),
    user_type: cut(str(doc.userType), 64),
    locale: cut(str(doc.locale), 64),
    preferred_language: cut(str(doc.preferredLanguage), 64),
  };

  const values: ValueRow[] = [];
  for (const attribute of VALUE_ATTRIBUTES) {
    list(doc[attribute]).forEach((entry, position) => {
      const e = record(entry);
      const value = str(e.value);
      values.push({
        attribute,
        position,
        value,
        value_key: key(value),
        type: cut(str(e.type), 64),
        display: cut(str(e.display), 255),
        is_primary: e.primary === true,
      });
    });
  }

  const addresses: AddressRow[] = list(doc.addresses).map((entry, position) => {
    const a = record(entry);
    return {
      position,
      type: cut(str(a.type), 64),
      formatted: str(a.formatted),
      street_address: cut(str(a.streetAddress), 512),
      locality: cut(str(a.locality), 255),
      region: cut(str(a.region), 255),
      postal_code: cut(str(a.postalCode), 64),
      country: cut(str(a.country), 64),
      is_primary: a.primary === true,
    };
  });

  // Only multi-valued extension attributes (arrays) get rows: "any value matches" needs them. A
  // single-valued one (enterprise department, manager, Metadata keys, primaryWorkspace) is
  // filtered straight from the document (filter-sql.ts), so it costs a create no row and no
  // index entries.
  const extensions: ExtensionRow[] = [];
  for (const [urn, body] of Object.entries(doc)) {
    if (!urn.startsWith('urn:') || urn === URN.user) continue;
    for (const [attrName, attrValue] of Object.entries(record(body))) {
      if (!Array.isArray(attrValue)) continue;
      const push = (attr_path: string, position: number, raw: unknown) => {
        const value = str(raw);
        extensions.push({
          schema_urn: urn.slice(0, 191),
          attr_path: attr_path.slice(0, 191),
          position,
          value,
          value_key: key(value),
        });
      };
      attrValue.forEach((entry, position) => {
        if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
          for (const [sub, subValue] of Object.entries(entry)) push(`${attrName}.${sub}`, position, subValue);
        } else {
          push(attrName, position, entry);
        }
      });
    }
  }
  return { columns, values, addresses, extensions };
}
