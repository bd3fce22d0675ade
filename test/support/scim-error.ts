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
