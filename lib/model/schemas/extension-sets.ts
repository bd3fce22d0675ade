import { attr } from './define.js';
import { CUSTOM_EXTENSION_SCHEMA, ENTERPRISE_SCHEMA, METADATA_SCHEMA, SYSTAM_SCHEMA } from './definitions.js';
import { SchemaRegistry } from './registry.js';
import type { AttributeType, SchemaDef } from './types.js';

/** The User extensions the product ships, by the name a connector's `extensions` setting uses. */
export const BUILT_IN_EXTENSIONS: Record<string, SchemaDef> = {
  enterprise: ENTERPRISE_SCHEMA,
  folders: CUSTOM_EXTENSION_SCHEMA,
  metadata: METADATA_SCHEMA,
  primaryWorkspace: SYSTAM_SCHEMA,
};

/** The names a connector's `extensions` setting may list for the built-in extensions. */
export const BUILT_IN_EXTENSION_NAMES = Object.keys(BUILT_IN_EXTENSIONS);

/** Attribute types a host-defined extension may use: simple values, as Entra's attribute editor offers. */
export const HOST_ATTRIBUTE_TYPES = ['string', 'boolean', 'integer', 'decimal', 'dateTime', 'reference'] as const;

/** An extension schema the host defines as data (`{"id": "urn:…", "attributes": [{"name": "site"}]}`). */
export interface HostExtension {
  /** The schema's URN (RFC 7643 §3: `urn:…`); the body carries its attributes under this key. */
  id: string;
  /** Its name in `/Schemas`; default: the URN's last segment. */
  name?: string;
  /** Its description in `/Schemas`; default "Defined by the host.". */
  description?: string;
  /** Its attributes: simple values only, as Entra's attribute editor offers. */
  attributes: Array<{
    /** The attribute's name, matched in any letter case. */
    name: string;
    /** Its type (RFC 7643 §2.3); default `string`. */
    type?: (typeof HOST_ATTRIBUTE_TYPES)[number];
    /** Whether it takes a list of values; default false. */
    multiValued?: boolean;
    /** Its description in `/Schemas`. */
    description?: string;
  }>;
}

/** A connector's `extensions` entry: a built-in extension's name or a host-defined schema. */
export type ExtensionChoice = string | HostExtension;

/**
 * The schema a connector's `extensions` entry stands for: a built-in one by name, or a host-defined one turned into a
 * schema (attributes default to single-valued strings; the name defaults to the URN's last segment).
 */
export function extensionSchema(choice: ExtensionChoice): SchemaDef {
  if (typeof choice === 'string') return BUILT_IN_EXTENSIONS[choice];
  return {
    id: choice.id,
    name: choice.name ?? choice.id.split(':').pop() ?? choice.id,
    description: choice.description ?? 'Defined by the host.',
    attributes: choice.attributes.map((a) =>
      attr(a.name, (a.type ?? 'string') as AttributeType, a.description ?? '', { multiValued: a.multiValued === true }),
    ),
  };
}

const registries = new Map<string, SchemaRegistry>();

/**
 * The User schemas a connector accepts and advertises: core plus its declared extensions. One
 * registry per distinct set, kept, so that compiled validators are reused across requests.
 */
export function userRegistryFor(settings: { extensions: ExtensionChoice[] }): SchemaRegistry {
  const key = JSON.stringify(settings.extensions);
  let registry = registries.get(key);
  if (!registry) {
    registry = new SchemaRegistry('User', settings.extensions.map(extensionSchema));
    registries.set(key, registry);
  }
  return registry;
}
