/**
 * The RFC 7644 §3.4.2.2 filter as a tree. Paths are as written by the client (`raw`) and,
 * once resolved against the schemas, carry the canonical attribute (see resolve.ts).
 */
import type { ResolvedAttribute } from './schemas/registry.js';

/** The comparison operators of RFC 7644 §3.4.2.2 (`eq`, `ne`, `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`), lower case. */
export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
/** A filter's comparison value as the grammar allows it: a JSON string, number, boolean or null. */
export type FilterValue = string | number | boolean | null;

/**
 * An attribute path in a filter (RFC 7644 §3.4.2.2 `attrPath`), as written and, once resolved, as the schemas name it.
 */
export interface AttrPath {
  /** The text as written: `emails.value`, `urn:…:User:department`, `meta.created`. */
  raw: string;
  /** Set after resolution against the resource's schemas. */
  resolved?: ResolvedAttribute;
}

/**
 * A parsed SCIM filter (RFC 7644 §3.4.2.2): `and`/`or`, `not`, `pr` (present), a comparison, or a value path with
 * its own filter over a multi-valued attribute's sub-attributes. Built by `scim/filter/parse.ts`, turned into SQL
 * by `store/filter-sql.ts`.
 */
export type Filter =
  | {
      /** A logical expression: both sides (`and`) or either side (`or`). */
      kind: 'and' | 'or';
      /** The left operand. */
      left: Filter;
      /** The right operand. */
      right: Filter;
    }
  | {
      /** `not (…)`: the negation. */
      kind: 'not';
      /** The negated filter. */
      filter: Filter;
    }
  | {
      /** `attr pr`: the attribute has a non-empty value. */
      kind: 'present';
      /** The attribute tested. */
      path: AttrPath;
    }
  | {
      /** `attr op value`: a comparison. */
      kind: 'compare';
      /** The operator. */
      op: CompareOperator;
      /** The attribute compared. */
      path: AttrPath;
      /** The value compared with. */
      value: FilterValue;
    }
  /** `emails[type eq "work" and value co "@x"]`: `filter` paths are sub-attributes of `path`. */
  | {
      /** `attr[filter]`: a value of a multi-valued attribute matches the inner filter. */
      kind: 'valuePath';
      /** The multi-valued attribute. */
      path: AttrPath;
      /** The filter over its sub-attributes. */
      filter: Filter;
    };
