/**
 * The RFC 7644 §3.4.2.2 filter as a tree. Paths are as written by the client (`raw`) and,
 * once resolved against the schemas, carry the canonical attribute (see resolve.ts).
 */
import type { ResolvedAttribute } from './schemas/registry.js';

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

export interface AttrPath {
  /** The text as written: `emails.value`, `urn:…:User:department`, `meta.created`. */
  raw: string;
  /** Set after resolution against the resource's schemas. */
  resolved?: ResolvedAttribute;
}

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'compare'; op: CompareOperator; path: AttrPath; value: FilterValue }
  /** `emails[type eq "work" and value co "@x"]`: `filter` paths are sub-attributes of `path`. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };
