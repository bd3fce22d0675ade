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

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export const badRequest = (scimType: ScimType, detail: string) => new ScimError(400, detail, scimType);
export const invalidValue = (detail: string) => badRequest('invalidValue', detail);
export const invalidFilter = (detail: string) => badRequest('invalidFilter', detail);
export const invalidPath = (detail: string) => badRequest('invalidPath', detail);
export const noTarget = (detail: string) => badRequest('noTarget', detail);
export const mutability = (detail: string) => badRequest('mutability', detail);
export const invalidSyntax = (detail: string) => badRequest('invalidSyntax', detail);
export const notFound = (detail: string) => new ScimError(404, detail);
export const conflict = (detail: string) => new ScimError(409, detail, 'uniqueness');
