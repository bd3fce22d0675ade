import type { StoredGroup, StoredUser } from '../model/types.js';
import { etagOf } from './http.js';
import { URN } from '../model/schemas/urns.js';

/** Where the SCIM API lives, for `meta.location` and `$ref`s. */
export interface Locations { scimBase: string }

export type ScimResource = Record<string, unknown> & { id: string };

function schemasOf(core: string, document: Record<string, unknown>): string[] {
  return [core, ...Object.keys(document).filter((k) => k.startsWith('urn:') && k !== core)];
}

function withoutSchemas(document: Record<string, unknown>): Record<string, unknown> {
  const { schemas: _schemas, password: _password, ...rest } = document;
  return rest;
}

export function serializeUser(user: StoredUser, at: Locations): ScimResource {
  const body = withoutSchemas(user.document);
  return {
    schemas: schemasOf(URN.user, body),
    id: user.id,
    ...body,
    ...(user.groups ? { groups: user.groups.map((g) => ({ value: g.id, $ref: `${at.scimBase}/Groups/${g.id}`, display: g.displayName, type: 'direct' })) } : {}),
    meta: {
      resourceType: 'User',
      created: user.createdAt.toISOString(),
      lastModified: user.updatedAt.toISOString(),
      location: `${at.scimBase}/Users/${user.id}`,
      version: etagOf(user.version),
    },
  };
}

/** `displayPrefix` is the connector's group-name prefix: stored with it, shown to SCIM clients without it. */
export function serializeGroup(group: StoredGroup, at: Locations, displayPrefix: string): ScimResource {
  const body = withoutSchemas(group.document);
  return {
    schemas: [URN.group],
    id: group.id,
    ...body,
    displayName: stripPrefix(group.displayName, displayPrefix),
    ...(group.members ? { members: group.members.map((m) => ({ value: m.value, $ref: `${at.scimBase}/Users/${m.value}`, type: 'User', ...(m.display ? { display: m.display } : {}) })) } : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${at.scimBase}/Groups/${group.id}`,
      version: etagOf(group.version),
    },
  };
}

export function stripPrefix(name: string, prefix: string): string {
  return prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

export function withPrefix(name: string, prefix: string): string {
  return prefix && !name.startsWith(prefix) ? prefix + name : name;
}
