/** How the commands show a path they wrote: short when it is below the working directory. */
import { relative } from 'node:path';

/** A path relative to the working directory when it is below it, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}
