import { URN } from '../model/schemas/urns.js';

/** RFC 7644 §3.12 scimType values. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor';

/**
 * A failure with its SCIM mapping. Thrown by protocol code and translated by the router's
 * error handler into `urn:…:Error` bodies; the detail is written for the client and must never
 * carry SQL, stack traces or secrets.
 */
export class ScimError extends Error {
  /** `retryAfterSeconds` becomes a Retry-After header (503 while the database is away). */
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  toBody(): ScimErrorBody {
    return {
      schemas: [URN.error],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    };
  }
}

/** The error response of RFC 7644 §3.12: `urn:ietf:params:scim:api:messages:2.0:Error` with the status as a string. */
export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** A 400 with the given `scimType` (RFC 7644 §3.12, Table 9). */
export const badRequest = (scimType: ScimType, detail: string) => new ScimError(400, detail, scimType);
/** 400 `invalidValue`: a required value is missing or a value is not compatible with the attribute's type. */
export const invalidValue = (detail: string) => badRequest('invalidValue', detail);
/** 400 `invalidFilter`: the filter syntax is wrong or names an attribute it cannot compare (RFC 7644 §3.4.2.2). */
export const invalidFilter = (detail: string) => badRequest('invalidFilter', detail);
/** 400 `invalidPath`: a PATCH path is malformed or names no attribute (RFC 7644 §3.5.2). */
export const invalidPath = (detail: string) => badRequest('invalidPath', detail);
/** 400 `noTarget`: a PATCH path's filter matched no value (RFC 7644 §3.5.2.1, §3.5.2.3). */
export const noTarget = (detail: string) => badRequest('noTarget', detail);
/** 400 `mutability`: the request tries to change a read-only or immutable attribute (RFC 7643 §2.2). */
export const mutability = (detail: string) => badRequest('mutability', detail);
/** 400 `invalidSyntax`: the body is not a well-formed SCIM request (e.g. a PatchOp without `Operations`). */
export const invalidSyntax = (detail: string) => badRequest('invalidSyntax', detail);
/** 404 without a scimType: the resource or endpoint does not exist (RFC 7644 §3.12). */
export const notFound = (detail: string) => new ScimError(404, detail);
/** 409 `uniqueness`: a value that must be unique is taken (RFC 7644 §3.3 on POST, §3.5.1 on PUT). */
export const conflict = (detail: string) => new ScimError(409, detail, 'uniqueness');
