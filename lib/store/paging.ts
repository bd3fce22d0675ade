import type { Knex } from 'knex';
import { StoreError } from './errors.js';

/**
 * Keyset cursors (RFC 9865): the cursor carries the last row's sort key and id, so the next
 * page is an index range scan whatever its depth. Opaque to clients: base64url JSON.
 */
export interface CursorState { dir: 'next' | 'prev'; key: string | number | null; id: string }

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify([state.dir === 'next' ? 'n' : 'p', state.key, state.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorState {
  try {
    const [dir, key, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string | number | null, string];
    if ((dir !== 'n' && dir !== 'p') || typeof id !== 'string') throw new Error('shape');
    return { dir: dir === 'n' ? 'next' : 'prev', key, id };
  } catch {
    throw new StoreError('invalid_query', 'cursor is not one this server issued', { scimType: 'invalidCursor' });
  }
}

/** Adds `(sort, id) > (key, id)` (or `<`) as a portable expansion of the row comparison. */
export function whereAfter(qb: Knex.QueryBuilder, sortExpr: string | null, idExpr: string, state: CursorState, ascending: boolean, db: Knex | Knex.Transaction): void {
  const forward = state.dir === 'next' ? ascending : !ascending;
  const cmp = forward ? '>' : '<';
  if (!sortExpr) {
    qb.where(idExpr, cmp, state.id);
    return;
  }
  const sortKey = state.key ?? '';
  qb.where((w) => {
    w.where(db.raw(`COALESCE(${sortExpr}, '')`), cmp, sortKey)
      .orWhere((eq) => eq.where(db.raw(`COALESCE(${sortExpr}, '')`), '=', sortKey).andWhere(idExpr, cmp, state.id));
  });
}
