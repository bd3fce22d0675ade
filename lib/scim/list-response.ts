import type { SecretBox } from '../crypto/secret-box.js';
import type { ListResult } from '../model/types.js';
import type { ListRequest } from './list-params.js';
import { URN } from '../model/schemas/urns.js';

/** RFC 7644 §3.4.2 ListResponse; `Resources` is always present (Microsoft's tests expect `[]`). */
export function listResponse<T>(
  request: ListRequest,
  result: ListResult<T>,
  render: (item: T) => unknown,
  secrets: SecretBox,
) {
  const Resources = result.items.map(render);
  if (request.cursorPaging) {
    return {
      schemas: [URN.listResponse],
      totalResults: result.totalResults,
      itemsPerPage: Resources.length,
      ...(result.nextCursor ? { nextCursor: secrets.signCursor(result.nextCursor) } : {}),
      ...(result.previousCursor ? { previousCursor: secrets.signCursor(result.previousCursor) } : {}),
      Resources,
    };
  }
  return {
    schemas: [URN.listResponse],
    totalResults: result.totalResults,
    itemsPerPage: Resources.length,
    startIndex: request.query.startIndex ?? 1,
    Resources,
  };
}
