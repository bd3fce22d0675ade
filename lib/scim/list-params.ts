import type { ListQuery } from '../model/types.js';
import { badRequest, invalidValue } from './errors.js';
import { parseFilter } from './filter/parse.js';
import { resolveFilter } from './filter/resolve.js';
import { parseAttributeList, type Projection } from './projection.js';
import type { SchemaRegistry } from '../model/schemas/registry.js';
import type { SecretBox } from '../crypto/secret-box.js';

/**
 * A list request read from the query or a `POST /.search` body (RFC 7644 §3.4.2, §3.4.3): the store's query, which
 * attributes to answer, and whether the client pages by cursor (RFC 9865) or by index.
 */
export interface ListRequest {
  query: ListQuery;
  projection: Projection;
  cursorPaging: boolean;
}

/** The page size when a list names no `count` (RFC 7644 §3.4.2.4 leaves it to the provider): 100. */
export const DEFAULT_PAGE_SIZE = 100;

/**
 * The list parameters of RFC 7644 §3.4.2 (GET query) and §3.4.3 (POST /.search body), plus
 * RFC 9865 cursors: `cursor` present (even empty) selects keyset paging.
 */
export function parseListRequest(
  source: Record<string, unknown>,
  registry: SchemaRegistry,
  maxPageSize: number,
  secrets: SecretBox,
): ListRequest {
  const get = (name: string): unknown => {
    const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : source[key];
    return Array.isArray(value) && name !== 'attributes' && name !== 'excludedAttributes' ? value[0] : value;
  };
  const query: ListQuery = {
    count: Math.min(integer(get('count'), 'count') ?? Math.min(DEFAULT_PAGE_SIZE, maxPageSize), maxPageSize),
  };
  if (query.count < 0) query.count = 0;

  const filterText = get('filter');
  if (filterText !== undefined && filterText !== '') {
    if (typeof filterText !== 'string') throw badRequest('invalidFilter', 'filter must be a string');
    query.filter = resolveFilter(parseFilter(filterText), registry);
  }

  const cursor = get('cursor');
  const cursorPaging = cursor !== undefined;
  if (cursorPaging) {
    if (typeof cursor !== 'string') throw badRequest('invalidCursor', 'cursor must be a string');
    if (get('startIndex') !== undefined) throw invalidValue('use either cursor or startIndex, not both');
    query.cursor = cursor === '' ? null : secrets.unsignCursor(cursor);
    if (query.cursor === undefined) throw badRequest('invalidCursor', 'cursor is not one this server issued');
  } else {
    query.startIndex = Math.max(1, integer(get('startIndex'), 'startIndex') ?? 1);
  }

  const sortBy = get('sortBy');
  if (sortBy !== undefined && sortBy !== '') {
    if (typeof sortBy !== 'string') throw invalidValue('sortBy must be an attribute name');
    const resolved = registry.resolve(sortBy);
    if (!resolved) throw invalidValue(`sortBy names an unknown attribute "${sortBy}"`);
    query.sortBy = resolved;
  }
  const sortOrder = get('sortOrder');
  if (sortOrder !== undefined && sortOrder !== '') {
    const order = typeof sortOrder === 'string' ? sortOrder.toLowerCase() : undefined;
    if (order !== 'ascending' && order !== 'descending')
      throw invalidValue('sortOrder must be "ascending" or "descending"');
    query.sortOrder = order;
  }

  return {
    query,
    cursorPaging,
    projection: {
      attributes: parseAttributeList(get('attributes')),
      excludedAttributes: parseAttributeList(get('excludedAttributes'), 'excludedAttributes'),
    },
  };
}

/**
 * startIndex and count: decimal integers (JSON numbers in a search body) up to 2^53; larger ones
 * would reach SQL as `1e+21` or overflow OFFSET. A startIndex beyond the results is an empty page.
 */
function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'number' && typeof value !== 'string') throw invalidValue(`${name} must be a decimal integer`);
  const text = typeof value === 'number' ? undefined : value.trim();
  if (text !== undefined && !/^[+-]?\d{1,16}$/.test(text)) throw invalidValue(`${name} must be a decimal integer`);
  const n = typeof value === 'number' ? value : Number(text);
  if (!Number.isSafeInteger(n))
    throw invalidValue(`${name} must be an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
  return n;
}
