// The error a synchronous call throws (the test fails when it throws nothing).
import type { CamkitError } from '../../src/errors.js';

export function caught(f: () => unknown): CamkitError {
  try {
    f();
  } catch (e) {
    return e as CamkitError;
  }
  throw new Error('no error thrown');
}
