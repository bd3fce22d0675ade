/** RFC 7643 §7 attribute characteristics, as data. */
export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
/** RFC 7643 §7 `mutability`: whether a client may write the attribute, once (`immutable`) or never (`readOnly`). */
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
/** RFC 7643 §7 `returned`: when a read includes the attribute (`never` for passwords). */
export type Returned = 'always' | 'never' | 'default' | 'request';
/** RFC 7643 §7 `uniqueness`: the scope in which a value must be unique. */
export type Uniqueness = 'none' | 'server' | 'global';

/** One attribute definition (RFC 7643 §7), as `/Schemas` serves it and validation reads it. */
export interface AttributeDef {
  /** The attribute's name, matched in any letter case (RFC 7643 §2.1). */
  name: string;
  /** Its data type (RFC 7643 §2.3). */
  type: AttributeType;
  /** Whether it takes a list of values. */
  multiValued: boolean;
  /** What it means, as `/Schemas` shows it. */
  description: string;
  /** Whether a create or replace must carry it. */
  required: boolean;
  /** Whether values compare case-sensitively (filters, uniqueness). */
  caseExact: boolean;
  /** Whether and when a client may write it. */
  mutability: Mutability;
  /** When a read includes it. */
  returned: Returned;
  /** The scope within which values must be unique. */
  uniqueness: Uniqueness;
  /** Suggested values (e.g. `work`, `home` for an email's type); not enforced. */
  canonicalValues?: string[];
  /** For a reference: what it may point at (`User`, `Group`, `external`, `uri`). */
  referenceTypes?: string[];
  /** For a complex attribute: its sub-attributes. */
  subAttributes?: AttributeDef[];
}

/** One schema (RFC 7643 §7): its URN, name and attribute definitions. */
export interface SchemaDef {
  /** The schema's URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`. */
  id: string;
  /** Its short name (`User`, `EnterpriseUser`). */
  name: string;
  /** What it describes, as `/Schemas` shows it. */
  description: string;
  /** Its attribute definitions. */
  attributes: AttributeDef[];
  /**
   * An open extension accepts any attribute name (Metadata keys): each is a single string.
   * Its declared attributes, if any, keep their own definition.
   */
  open?: boolean;
}

/** One resource type (RFC 7643 §6): its endpoint, core schema and extensions. */
export interface ResourceTypeDef {
  id: 'User' | 'Group';
  name: string;
  endpoint: '/Users' | '/Groups';
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}
