import { expect } from 'chai';
import { ScimError } from '../../lib/scim/errors.js';

/** The ScimError a call throws; fails the test when it throws nothing or something else. */
export function scimErrorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

/** The call fails with 400, this scimType, and a detail equal to (string) or matching (RegExp) the given one. */
export function expectBadRequest(run: () => unknown, scimType: string, detail: string | RegExp): void {
  const error = scimErrorOf(run);
  expect(error.status).to.equal(400);
  expect(error.scimType).to.equal(scimType);
  if (typeof detail === 'string') expect(error.detail).to.equal(detail);
  else expect(error.detail).to.match(detail);
}
