/**
 * Errors about bad input. Every error a user can cause by handing us a wrong file, a wrong
 * architecture string or a missing dataset is a DataError: it names the file (when there is one),
 * where in it (byte offset or row) and what is wrong, so the message alone is enough to act on.
 */
export interface DataErrorWhere {
  /** The file (or directory) the problem is in. */
  file?: string;
  /** Byte offset inside the file, for binary formats. */
  offset?: number;
  /** 1-based row (line) number, for text formats. */
  row?: number;
}

export class DataError extends Error {
  readonly file?: string;
  readonly offset?: number;
  readonly row?: number;

  constructor(what: string, where: DataErrorWhere = {}, options?: { cause?: unknown }) {
    super(DataError.format(what, where), options);
    this.name = 'DataError';
    this.file = where.file;
    this.offset = where.offset;
    this.row = where.row;
  }

  private static format(what: string, where: DataErrorWhere): string {
    const parts: string[] = [];
    if (where.file !== undefined) parts.push(where.file);
    if (where.offset !== undefined) parts.push(`byte ${where.offset}`);
    if (where.row !== undefined) parts.push(`row ${where.row}`);
    return parts.length > 0 ? `${parts.join(', ')}: ${what}` : what;
  }
}
