/** Model tests take cells as arch strings; the project's parser turns them into the op tuple. */
import { asNB201Cell, type NB201Cell } from '../../src/models/nb201-cell.ts';
import { parseNB201 } from '../../src/spaces/nb201.ts';

export function cellFromArchString(arch: string): NB201Cell {
  return asNB201Cell(parseNB201(arch).ops);
}
