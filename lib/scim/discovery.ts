import type { Connector } from '../model/types.js';
import type { ResolvedOptions } from '../runtime/options.js';
import { ScimError } from './errors.js';
import { GROUP_SCHEMA, RESOURCE_TYPES } from '../model/schemas/definitions.js';
import { userRegistryFor } from '../model/schemas/extension-sets.js';
import { URN } from '../model/schemas/urns.js';
import type { SchemaDef } from '../model/schemas/types.js';
import { DEFAULT_PAGE_SIZE } from './list-params.js';

/**
 * /ServiceProviderConfig, /Schemas and /ResourceTypes, generated from the same definitions
 * that validate requests. A connector with groups disabled does not advertise Group.
 */
export function serviceProviderConfig(connector: Connector, options: ResolvedOptions, scimBase: string) {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: `${options.baseUrl}${options.mountPath}/admin`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: options.maxPageSize },
    changePassword: { supported: connector.settings.acceptPassword },
    sort: { supported: true },
    etag: { supported: true },
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: Math.min(DEFAULT_PAGE_SIZE, options.maxPageSize),
      maxPageSize: options.maxPageSize,
      cursorTimeout: 0,
    },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with the secret token shown once when it was created',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${scimBase}/ServiceProviderConfig` },
  };
}

/** Core User, exactly the connector's declared extensions, and Group when groups are on. */
function visibleSchemas(connector: Connector): SchemaDef[] {
  const users = userRegistryFor(connector.settings);
  return [users.core, ...users.extensions, ...(connector.settings.groupsEnabled ? [GROUP_SCHEMA] : [])];
}

function schemaResource(schema: SchemaDef, scimBase: string) {
  return {
    schemas: [URN.schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes,
    meta: { resourceType: 'Schema', location: `${scimBase}/Schemas/${schema.id}` },
  };
}

function resourceTypeResource(type: (typeof RESOURCE_TYPES)[number], scimBase: string) {
  return {
    schemas: [URN.resourceType],
    id: type.id,
    name: type.name,
    endpoint: type.endpoint,
    description: type.description,
    schema: type.schema,
    schemaExtensions: type.schemaExtensions,
    meta: { resourceType: 'ResourceType', location: `${scimBase}/ResourceTypes/${type.id}` },
  };
}

const listOf = (resources: unknown[]) => ({
  schemas: [URN.listResponse],
  totalResults: resources.length,
  itemsPerPage: resources.length,
  startIndex: 1,
  Resources: resources,
});

/**
 * `GET /Schemas` (RFC 7644 §4): the schemas the token's connector serves (core plus its declared extensions; no
 * Group when `groupsEnabled` is false), as a ListResponse.
 */
export function schemasList(connector: Connector, scimBase: string) {
  return listOf(visibleSchemas(connector).map((s) => schemaResource(s, scimBase)));
}

/**
 * `GET /Schemas/{urn}` (RFC 7644 §4): one schema, matched in any letter case.
 *
 * @throws ScimError 404 when the connector does not serve that schema.
 */
export function schemaById(connector: Connector, id: string, scimBase: string) {
  const schema = visibleSchemas(connector).find((s) => s.id.toLowerCase() === id.toLowerCase());
  if (!schema) throw new ScimError(404, `schema ${id} is not supported`);
  return schemaResource(schema, scimBase);
}

function visibleTypes(connector: Connector) {
  const declared = userRegistryFor(connector.settings).extensions.map((s) => ({ schema: s.id, required: false }));
  return RESOURCE_TYPES.filter((t) => connector.settings.groupsEnabled || t.id !== 'Group').map((t) =>
    t.id === 'User' ? { ...t, schemaExtensions: declared } : t,
  );
}

/** `GET /ResourceTypes` (RFC 7644 §4, RFC 7643 §6): the resource types the connector serves, as a ListResponse. */
export function resourceTypesList(connector: Connector, scimBase: string) {
  return listOf(visibleTypes(connector).map((t) => resourceTypeResource(t, scimBase)));
}

/**
 * `GET /ResourceTypes/{id}`: one resource type (`User` or `Group`), in any letter case.
 *
 * @throws ScimError 404 when the connector does not serve it.
 */
export function resourceTypeById(connector: Connector, id: string, scimBase: string) {
  const type = visibleTypes(connector).find((t) => t.id.toLowerCase() === id.toLowerCase());
  if (!type) throw new ScimError(404, `resource type ${id} is not supported`);
  return resourceTypeResource(type, scimBase);
}
