/**
 * A tiny NB201 arch-string parser for the model tests only (the project's parser lives in
 * src/spaces/nb201.ts). `|a~0|+|b~0|c~1|+|d~0|e~1|f~2|` -> [a, b, c, d, e, f].
 */
import { asNB201Cell, type NB201Cell } from '../../src/models/nb201-cell.ts';

export function cellFromArchString(arch: string): NB201Cell {
  const ops = arch
    .split('+')
    .flatMap((group) => group.split('|').filter((s) => s.length > 0))
    .map((token) => {
      const [op, from] = token.split('~');
      if (op === undefined || from === undefined) throw new Error(`bad edge token '${token}' in ${arch}`);
      return op;
    });
  return asNB201Cell(ops);
}
