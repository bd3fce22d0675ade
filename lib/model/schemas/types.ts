/** RFC 7643 §7 attribute characteristics, as data. */
export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

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

export interface ResourceTypeDef {
  id: 'User' | 'Group';
  name: string;
  endpoint: '/Users' | '/Groups';
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}
