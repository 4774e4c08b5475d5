/**
 * This tool's version, from the package.json of the package it runs from (the nearest one above
 * this module: `src/` under tsx, `dist/src/` once compiled).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

export function toolVersion(): string {
  if (version === undefined) {
    version = findVersion(dirname(fileURLToPath(import.meta.url)));
  }
  return version;
}

function findVersion(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'payouts' && typeof pkg.version === 'string') {
        return pkg.version;
      }
    } catch {
      // none here: look further up
    }
    if (dirname(dir) === dir) {
      return 'unknown';
    }
  }
}
