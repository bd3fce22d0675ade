import type { StoredGroup, StoredUser } from '../model/types.js';
import { etagOf } from './http.js';
import { URN } from '../model/schemas/urns.js';

/** Where the SCIM API lives, for `meta.location` and `$ref`s. */
export interface Locations {
  scimBase: string;
}

/** A SCIM resource as answered (RFC 7643 §3): `schemas`, `id`, the attributes and `meta`. */
export type ScimResource = Record<string, unknown> & { id: string };

function schemasOf(core: string, document: Record<string, unknown>): string[] {
  return [core, ...Object.keys(document).filter((k) => k.startsWith('urn:') && k !== core)];
}

function withoutSchemas(document: Record<string, unknown>): Record<string, unknown> {
  const { schemas: _schemas, password: _password, ...rest } = document;
  return nestUndeclared(rest);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/**
 * Attributes of undeclared extensions (kept by `allowExtensionPassthrough`) are stored as sent:
 * nested under their schema URN, or flat as `urn:…:User:attribute` (Entra sends both). A
 * resource shows them nested, as RFC 7644 §3.10 shapes extension attributes: a flat name's
 * schema is everything before its last colon. Declared extensions are always stored nested.
 */
function nestUndeclared(body: Record<string, unknown>): Record<string, unknown> {
  const flat = Object.keys(body).filter((k) => /^urn:/i.test(k) && !isPlainObject(body[k]) && k.lastIndexOf(':') > 4);
  if (!flat.length) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (flat.includes(key)) continue;
    out[key] = isPlainObject(value) && /^urn:/i.test(key) ? { ...value } : value;
  }
  for (const key of flat) {
    const cut = key.lastIndexOf(':');
    const schema = key.slice(0, cut);
    const container = isPlainObject(out[schema]) ? out[schema] : (out[schema] = {});
    container[key.slice(cut + 1)] = body[key];
  }
  return out;
}

/**
 * A stored user as its SCIM representation (RFC 7643 §4.1): the declared `schemas`, `id`, the document's
 * attributes, `groups` when read, and `meta` with the location, the ETag version and the times.
 */
export function serializeUser(user: StoredUser, at: Locations): ScimResource {
  const body = withoutSchemas(user.document);
  return {
    schemas: schemasOf(URN.user, body),
    id: user.id,
    ...body,
    ...(user.groups
      ? {
          groups: user.groups.map((g) => ({
            value: g.id,
            $ref: `${at.scimBase}/Groups/${g.id}`,
            display: g.displayName,
            type: 'direct',
          })),
        }
      : {}),
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
    ...(group.members
      ? {
          members: group.members.map((m) => ({
            value: m.value,
            $ref: `${at.scimBase}/Users/${m.value}`,
            type: 'User',
            ...(m.display ? { display: m.display } : {}),
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${at.scimBase}/Groups/${group.id}`,
      version: etagOf(group.version),
    },
  };
}

/**
 * A group name without the connector's `groupDisplayNamePrefix`, as the SCIM client wrote it (the prefix is the
 * platform's, not Entra's).
 */
export function stripPrefix(name: string, prefix: string): string {
  return prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
}
