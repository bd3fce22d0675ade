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
