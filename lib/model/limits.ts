/**
 * Bounds on what one request may ask of the process. Each is far above anything Entra or the
 * platforms send, and low enough that the work a request can cause stays a few milliseconds of
 * event loop: a refusal names the bound.
 */

/** Width of the normalised key columns (userName, displayName, value keys); see migrations. */
export const KEY_LENGTH = 320;

/** userName, externalId and group displayName: Entra allows up to 256 characters. */
export const MAX_IDENTIFIER_LENGTH = 256;

/**
 * Bytes (UTF-8) of one string value of any attribute that is not an identifier: an email, a
 * display name, an address's `formatted`, a Metadata value. Checked before SQL (ajv, from the
 * definitions: model/validate/ajv-schema.ts) so that both databases answer alike: the widest
 * column such a value reaches is TEXT (65,535 bytes on MariaDB), so this leaves room, and it is
 * far above what Entra sends (its longest string properties are 1,024 characters).
 */
export const MAX_VALUE_BYTES = 16_384;

/** Bytes of an identifier (userName, externalId, group displayName): MAX_IDENTIFIER_LENGTH characters of up to 4 bytes. */
export const MAX_IDENTIFIER_BYTES = MAX_IDENTIFIER_LENGTH * 4;

/** Values of one multi-valued attribute (emails, members, …) in one request. */
export const MAX_MULTI_VALUES = 1000;

/** Keys of one object: a body's attributes, an extension's attributes (Metadata keys). */
export const MAX_OBJECT_KEYS = 1000;

/** Names in `attributes` / `excludedAttributes`. */
export const MAX_ATTRIBUTE_NAMES = 200;

/** Operations in one PATCH request. */
export const MAX_PATCH_OPERATIONS = 1000;

/** The rate limits' window: the per-token budget and failed bearer attempts are counted per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** The longest window the mass-deprovisioning guard may count over (deprovisionGuard.windowMinutes): 7 days. */
export const MAX_DEPROVISION_WINDOW_MINUTES = 10_080;
