/**
 * bzip2 decompression for the NATS-Bench `.pickle.pbz2` files (written by Python's bz2 module).
 * seek-bzip decodes in memory; each NATS cell file is ~85 KB compressed, ~330 KB decoded.
 */
import Bunzip from 'seek-bzip';
import { DataError } from '../util/errors.ts';

export function bunzip2(data: Uint8Array, file: string): Buffer {
  if (data.length < 4 || data[0] !== 0x42 || data[1] !== 0x5a || data[2] !== 0x68) {
    throw new DataError('not a bzip2 file (no "BZh" signature)', { file, offset: 0 });
  }
  try {
    return Bunzip.decode(data, undefined, true);
  } catch (e) {
    // seek-bzip throws strings or Errors without a position; the file name is what a user needs.
    const msg = e instanceof Error ? e.message : String(e);
    throw new DataError(`corrupt bzip2 data (${msg})`, { file }, { cause: e });
  }
}
