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
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
}

/** One schema (RFC 7643 §7): its URN, name and attribute definitions. */
export interface SchemaDef {
  id: string;
  name: string;
  description: string;
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
