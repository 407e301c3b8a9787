import { expect } from 'vitest';
import { DataError } from '../../src/util/errors.ts';

/** The DataError a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function errorOf(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}
