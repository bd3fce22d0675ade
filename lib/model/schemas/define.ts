import type { AttributeDef, AttributeType } from './types.js';

/**
 * Builders that fill RFC 7643's defaults (§2.2: readWrite, returned default, not required,
 * not caseExact, uniqueness none) so that the definitions list only what differs.
 */
type Options = Partial<Omit<AttributeDef, 'name' | 'type' | 'subAttributes'>>;

/**
 * A simple attribute definition with RFC 7643 §2.2's defaults (readWrite, returned default, not required, not
 * caseExact, uniqueness none; a reference is `external`), overridden by `options`.
 */
export function attr(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...(type === 'reference' ? { referenceTypes: ['external'] } : {}),
    ...options,
  };
}

/** A complex attribute (RFC 7643 §2.3.8) with its sub-attributes, the defaults as {@link attr}. */
export function complex(
  name: string,
  description: string,
  subAttributes: AttributeDef[],
  options: Options = {},
): AttributeDef {
  return { ...attr(name, 'complex', description, options), subAttributes };
}

/** The value/display/type/primary shape shared by emails, phoneNumbers, ims, photos, … */
export function multiValued(
  name: string,
  description: string,
  typeValues: string[],
  options: { valueType?: AttributeType; valueDescription?: string; extra?: AttributeDef[] } = {},
): AttributeDef {
  return complex(
    name,
    description,
    [
      attr('value', options.valueType ?? 'string', options.valueDescription ?? `The value of the ${name} entry.`),
      attr('display', 'string', 'A human-readable name, primarily used for display purposes.'),
      attr(
        'type',
        'string',
        `A label indicating the attribute's function.`,
        typeValues.length ? { canonicalValues: typeValues } : {},
      ),
      attr(
        'primary',
        'boolean',
        'A Boolean value indicating the preferred attribute value; at most one value may be primary.',
      ),
      ...(options.extra ?? []),
    ],
    { multiValued: true },
  );
}
