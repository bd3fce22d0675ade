import { expect } from 'chai';
import { toScimError } from '../../lib/scim/error-handler.js';
import type { ScimError } from '../../lib/scim/errors.js';

/**
 * What a client would get for the error a call throws, mapped as the SCIM error handler maps
 * it (model and policy errors included); fails the test when it throws nothing or a 500.
 */
export function scimErrorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    const mapped = toScimError(error);
    if (mapped.status < 500) return mapped;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The call fails with 400, this scimType, and a detail equal to (string) or matching (RegExp) the given one. */
export function expectBadRequest(run: () => unknown, scimType: string, detail: string | RegExp): void {
  const error = scimErrorOf(run);
  expect(error.status).to.equal(400);
  expect(error.scimType).to.equal(scimType);
  if (typeof detail === 'string') expect(error.detail).to.equal(detail);
  else expect(error.detail).to.match(detail);
}

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A response is a SCIM error: status (also as a string in the body), scimType, and a detail that leaks no SQL or stack. */
export function expectScimError(
  res: { status: number; body: Record<string, unknown>; headers: Record<string, string> },
  status: number,
  scimType?: string,
) {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers['content-type']).to.match(/application\/scim\+json/);
  expect(res.body.schemas).to.deep.equal([ERROR]);
  expect(res.body.status).to.equal(String(status));
  if (scimType) expect(res.body.scimType).to.equal(scimType);
  expect(res.body.detail)
    .to.be.a('string')
    .and.not.match(/select|insert|update |stack|at .*\.ts/i);
}
