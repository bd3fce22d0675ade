import { Ajv, type ErrorObject, type SchemaObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { invalidInput } from '../errors.js';
import { MAX_IDENTIFIER_BYTES, MAX_IDENTIFIER_LENGTH, MAX_VALUE_BYTES } from '../limits.js';
import { COMMON_ATTRIBUTES } from '../schemas/definitions.js';
import type { SchemaRegistry } from '../schemas/registry.js';
import type { AttributeDef, AttributeType, SchemaDef } from '../schemas/types.js';

/**
 * The JSON Schema of a normalised resource document, generated from the SCIM schema
 * definitions so that the definitions stay the one source of truth for attribute types.
 * Read-only attributes are left out: a normalised document never carries them.
 */
export function ajvSchemaFor(registry: SchemaRegistry): SchemaObject {
  const core = [...COMMON_ATTRIBUTES, ...registry.core.attributes];
  return {
    type: 'object',
    properties: {
      schemas: { type: 'array', items: { type: 'string' } },
      ...propertiesOf(core),
      ...Object.fromEntries(registry.extensions.map((schema) => [schema.id, extensionSchema(schema)])),
    },
    ...requiredOf(core),
    // Attributes of undeclared extensions reach validation only when passthrough allowed them.
    patternProperties: { '^[uU][rR][nN]:': {} },
    additionalProperties: false,
  };
}

const SCALARS: Record<Exclude<AttributeType, 'complex'>, SchemaObject> = {
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  integer: { type: 'integer' },
  decimal: { type: 'number' },
  dateTime: { type: 'string', format: 'date-time' },
  reference: { type: 'string' },
  binary: { type: 'string' },
};

function extensionSchema(schema: SchemaDef): SchemaObject {
  return {
    type: 'object',
    properties: propertiesOf(schema.attributes),
    ...requiredOf(schema.attributes),
    additionalProperties: schema.open ? { type: 'string', maxBytes: MAX_VALUE_BYTES } : false,
  };
}

function attributeSchema(def: AttributeDef): SchemaObject {
  const subAttributes = def.subAttributes ?? [];
  const bytes = maxBytesOf(def);
  const one: SchemaObject =
    def.type === 'complex'
      ? {
          type: 'object',
          properties: propertiesOf(subAttributes),
          ...requiredOf(subAttributes),
          additionalProperties: false,
        }
      : {
          ...SCALARS[def.type],
          ...(isIdentifier(def) ? { maxLength: MAX_IDENTIFIER_LENGTH } : {}),
          ...(bytes ? { maxBytes: bytes } : {}),
        };
  return def.multiValued ? { type: 'array', items: one } : one;
}

/** Attributes clients look resources up by (userName, group displayName, externalId): their key columns hold them whole. */
const isIdentifier = (def: AttributeDef) =>
  def.type === 'string' && (def.uniqueness !== 'none' || def.name === 'externalId');

const TEXT_TYPES: readonly AttributeType[] = ['string', 'reference', 'binary'];

/**
 * The most UTF-8 bytes one value of this attribute may have, from its definition: every text
 * attribute has one (identifiers MAX_IDENTIFIER_BYTES, any other MAX_VALUE_BYTES), so a value no
 * column can hold is refused as 400 invalidValue naming the attribute before any SQL runs.
 */
export function maxBytesOf(def: AttributeDef): number | undefined {
  if (!TEXT_TYPES.includes(def.type)) return undefined;
  return isIdentifier(def) ? MAX_IDENTIFIER_BYTES : MAX_VALUE_BYTES;
}

function propertiesOf(defs: AttributeDef[]): Record<string, SchemaObject> {
  return Object.fromEntries(
    defs.filter((def) => def.mutability !== 'readOnly').map((def) => [def.name, attributeSchema(def)]),
  );
}

function requiredOf(defs: AttributeDef[]): { required?: string[] } {
  const required = defs.filter((def) => def.required).map((def) => def.name);
  return required.length ? { required } : {};
}

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = formatsModule.default;
const ajv = new Ajv({ allErrors: false });
addFormats(ajv, ['date-time']);
// JSON Schema's maxLength counts characters; the databases' columns count bytes.
const withinBytes: SchemaValidateFunction = (limit: number, data: string): boolean => {
  // A character is at most 3 UTF-8 bytes per UTF-16 unit: short strings need no count.
  if (data.length * 3 <= limit || Buffer.byteLength(data, 'utf8') <= limit) return true;
  withinBytes.errors = [{ keyword: 'maxBytes', message: `must be at most ${limit} bytes`, params: { limit } }];
  return false;
};
ajv.addKeyword({ keyword: 'maxBytes', type: 'string', schemaType: 'number', errors: true, validate: withinBytes });
const compiled = new WeakMap<SchemaRegistry, ValidateFunction>();

/** Checks attribute types; throws invalidValue naming the first offending attribute path. */
export function validateDocument(registry: SchemaRegistry, document: Record<string, unknown>): void {
  let validate = compiled.get(registry);
  if (!validate) {
    validate = ajv.compile(ajvSchemaFor(registry));
    compiled.set(registry, validate);
  }
  if (!validate(document)) throw invalidInput(describe(validate.errors![0]));
}

const TYPE_NAMES: Record<string, string> = {
  array: 'an array',
  object: 'an object',
  number: 'a number',
  integer: 'an integer',
};

function describe(error: ErrorObject): string {
  const path = attributePath(error.instancePath);
  switch (error.keyword) {
    case 'required':
      return `${attributePath(`${error.instancePath}/${error.params.missingProperty}`)} is required`;
    case 'type': {
      const type = String((error.params as { type: string }).type);
      return `Attribute '${path}' must be ${TYPE_NAMES[type] ?? type}`;
    }
    case 'maxLength':
      return `Attribute '${path}' is longer than ${error.params.limit} characters`;
    case 'maxBytes':
      return `Attribute '${path}' is longer than ${error.params.limit} bytes (UTF-8)`;
    case 'format':
      return `Attribute '${path}' must be an RFC 3339 date-time`;
    case 'additionalProperties':
      return `Attribute '${attributePath(`${error.instancePath}/${error.params.additionalProperty}`)}' is not defined`;
    default:
      return `Attribute '${path}' ${error.message ?? 'is invalid'}`;
  }
}

/** `/emails/0/primary` → `emails[0].primary`; `/urn:…:User/manager/value` → `urn:…:User:manager.value`. */
function attributePath(pointer: string): string {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  return segments.reduce((path, segment, index) => {
    if (index === 0) return segment;
    if (/^\d+$/.test(segment)) return `${path}[${segment}]`;
    // Extension attributes are named after their schema URN (RFC 7644 §3.10).
    return index === 1 && /^urn:/i.test(path) ? `${path}:${segment}` : `${path}.${segment}`;
  }, '');
}
