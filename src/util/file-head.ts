import { closeSync, openSync, readSync } from 'node:fs';

/** The first `bytes` bytes of a file (fewer if it is shorter): what format detection looks at. */
export function readFileHead(file: string, bytes = 512): Buffer {
  const head = Buffer.alloc(bytes);
  const fd = openSync(file, 'r');
  try {
    return head.subarray(0, readSync(fd, head, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}
