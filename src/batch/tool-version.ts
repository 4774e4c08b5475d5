/**
 * This tool's version, from the package.json of the package it runs from (the nearest one above
 * this module: `src/` under tsx, `dist/src/` once compiled).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;
let build: string | undefined;

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

/**
 * This build of the tool: its version and a SHA-256 of its own code (every module file under the
 * folder this module's folder is in: `src/` under tsx, `dist/src/` once compiled), so that a
 * rebuild under the same version number is told apart (src/batch/results-memo.ts).
 */
export function toolBuild(): string {
  build ??= `${toolVersion()}+${codeDigest(dirname(dirname(fileURLToPath(import.meta.url))))}`;
  return build;
}

/** 16 hex digits of a SHA-256 of every .js and .ts file under `root`: their paths and bytes. */
export function codeDigest(root: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(js|ts)$/.test(f))
    .sort();
  for (const f of files) {
    hash.update(`${f}\0`);
    hash.update(readFileSync(join(root, f)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
