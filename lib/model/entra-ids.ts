/**
 * Entra's identifiers — object ids (`oid`) and tenant ids (`tid`) — are GUIDs. An externalId of
 * that shape is taken as the user's Entra object id (the objectId → externalId mapping); any
 * other externalId (Entra's default mailNickname, Staffbase's UPN) says nothing about which
 * account signs in as the user.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value has the shape of an Entra object or tenant id. */
export const isEntraGuid = (value: unknown): value is string => typeof value === 'string' && GUID.test(value);

/** The object id an externalId is, lower case (as `oid` is compared), or undefined when it is no GUID. */
export const entraObjectIdOf = (externalId: unknown): string | undefined =>
  isEntraGuid(externalId) ? externalId.toLowerCase() : undefined;
