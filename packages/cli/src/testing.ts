import { InputError } from './input.js';

/** For tests: the message of the InputError fn throws; fails if it throws nothing or something else. */
export function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw new Error(`expected an InputError, got ${String(err)}`);
  }
  throw new Error('expected an InputError');
}
