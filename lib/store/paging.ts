import type { Knex } from 'knex';
import { StoreError } from './errors.js';
import { isResourceId } from './keys.js';
import type { ListQuery } from '../model/types.js';

/**
 * Keyset cursors (RFC 9865): the cursor carries the last row's sort key and id, so the next
 * page is an index range scan whatever its depth. Opaque to clients: base64url JSON.
 */
export interface CursorState {
  dir: 'next' | 'prev';
  key: string | number | null;
  id: string;
}

/** A keyset cursor as the opaque text SCIM hands out (base64url JSON, RFC 9865's `nextCursor`/`previousCursor`). */
export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify([state.dir === 'next' ? 'n' : 'p', state.key, state.id])).toString('base64url');
}

/** Strict: exactly `[dir, key, id]` with a scalar key and a well-formed id, or invalidCursor. */
export function decodeCursor(cursor: string): CursorState {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const [dir, key, id] = Array.isArray(decoded) && decoded.length === 3 ? decoded : [];
  const scalarKey = key === null || typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key));
  if ((dir !== 'n' && dir !== 'p') || !scalarKey || typeof id !== 'string' || !isResourceId(id)) {
    throw new StoreError('invalid_query', 'cursor is not one this server issued', { scimType: 'invalidCursor' });
  }
  return { dir: dir === 'n' ? 'next' : 'prev', key: key as CursorState['key'], id };
}

/**
 * The order of a list: a sort expression, then the id as tie-breaker. The default is creation
 * time, served by the (connector_id, created_at) index without a sort, at any depth.
 * Nullable expressions (attributes a client sorts by) compare through COALESCE.
 */
export interface Ordering {
  expr: string;
  nullable: boolean;
}

/** The default list order: creation time (then id), served by the (connector_id, created_at) index without a sort. */
export const creationOrder = (alias: string): Ordering => ({ expr: `${alias}.created_at`, nullable: false });

const keyExpression = (o: Ordering) => (o.nullable ? `COALESCE(${o.expr}, '')` : o.expr);

/** One page as {@link fetchPage} reads it, with what the caller needs to finish it (rows, totals, cursors). */
export interface Page {
  /** The page's rows in order: all `columns` on a first page, only `id` and `sort_key` deeper. */
  rows: Array<Record<string, unknown>>;
  /** True when the rows are the whole result, so no COUNT(*) is needed for totalResults. */
  complete: boolean;
  nextCursor?: string;
  previousCursor?: string;
}

/**
 * Runs a page query (index or keyset paging) over `base`, which already holds the connector
 * and filter conditions. A page that skips nothing (the first, or any keyset page) selects
 * `columns` directly; a deep index page selects ids only, over the covering index, and the
 * caller fetches those rows by primary key (a deferred join), so skipped rows are never read.
 */
export async function fetchPage(
  db: Knex | Knex.Transaction,
  base: Knex.QueryBuilder,
  ordering: Ordering,
  idExpr: string,
  columns: string[],
  query: ListQuery,
  total?: number,
): Promise<Page> {
  const ascending = query.sortOrder !== 'descending';
  const key = keyExpression(ordering);
  const offset = query.cursor === undefined ? Math.max(0, (query.startIndex ?? 1) - 1) : 0;
  if (query.cursor === undefined) {
    // A page in the back half of a result whose size is known (`total`, the cached count) is
    // read from the far end in the opposite order and turned round: the last page skips nothing,
    // where OFFSET would walk every entry before it (100,000 index entries at 100,000 users).
    const fromEnd = total !== undefined && offset > total / 2;
    const remaining = fromEnd ? Math.max(0, total - offset) : 0;
    const limit = fromEnd ? Math.min(query.count, remaining) : query.count;
    const skip = fromEnd ? remaining - limit : offset;
    if (limit === 0) return { rows: [], complete: false };
    base.select(skip === 0 ? columns : [{ id: idExpr }]).select(db.raw(`${key} as sort_key`));
    const direction = ascending !== fromEnd ? 'asc' : 'desc';
    const rows: Array<Record<string, unknown>> = await base
      .orderByRaw(`${key} ${direction}`)
      .orderBy(idExpr, direction)
      .limit(limit)
      .offset(skip);
    if (fromEnd) rows.reverse();
    return { rows, complete: offset === 0 && rows.length < query.count };
  }
  base.select(columns).select(db.raw(`${key} as sort_key`));
  const state = query.cursor ? decodeCursor(query.cursor) : undefined;
  const backwards = state?.dir === 'prev';
  const forward = ascending !== backwards;
  if (state) {
    const cmp = forward ? '>' : '<';
    const sortKey = state.key ?? '';
    base.where((w) => {
      w.where(db.raw(key), cmp, sortKey).orWhere((eq) => {
        eq.where(db.raw(key), '=', sortKey).andWhere(idExpr, cmp, state.id);
      });
    });
  }
  const direction = forward ? 'asc' : 'desc';
  let rows: Array<Record<string, unknown>> = await base
    .orderByRaw(`${key} ${direction}`)
    .orderBy(idExpr, direction)
    .limit(query.count + 1);
  const hasMore = rows.length > query.count;
  rows = rows.slice(0, query.count);
  if (backwards) rows.reverse();
  if (!rows.length) return { rows, complete: !state };
  const cursorAt = (dir: 'next' | 'prev', row: Record<string, unknown>) =>
    encodeCursor({ dir, key: (row.sort_key as string | number | null) ?? null, id: String(row.id) });
  return {
    rows,
    complete: !state && !hasMore,
    nextCursor: backwards || hasMore ? cursorAt('next', rows[rows.length - 1]) : undefined,
    previousCursor: (backwards ? hasMore : Boolean(state)) ? cursorAt('prev', rows[0]) : undefined,
  };
}

/** totalResults: the page itself when it holds everything, else one COUNT(*). */
export async function totalOf(page: Page, count: () => Knex.QueryBuilder): Promise<number> {
  if (page.complete) return page.rows.length;
  const row = await count().count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
