/**
 * Root hooks: every test gets its own state directory (PAYOUTS_HOME), so tests never share or
 * leak durable state and never touch the real home directory. Child processes inherit it.
 * Hooks that run before a test (a describe's `before`) use the process-wide one set here.
 *
 * Some tests run the build (dist/): the CSV reading thread, which Node 20 cannot load as
 * TypeScript, and the cron tests. `npm test` builds first; mocha run by hand on a source newer
 * than the build stops here, rather than test what the source no longer says.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = statSync(join(root, 'dist', 'src', 'cli', 'main.js'), { throwIfNoEntry: false });
const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
const newer = sources.filter((f) => !built || statSync(join(root, 'src', f)).mtimeMs > built.mtimeMs);
if (newer.length > 0) {
  throw new Error(`src/${newer[0]} is newer than the build in dist/: run npm run build (npm test does) first`);
}

const processHome = mkdtempSync(join(tmpdir(), 'payouts-home-'));
process.env.PAYOUTS_HOME = processHome;
const made: string[] = [processHome];

export const mochaHooks = {
  beforeEach(): void {
    const home = mkdtempSync(join(tmpdir(), 'payouts-home-'));
    made.push(home);
    process.env.PAYOUTS_HOME = home;
  },
  afterAll(): void {
    for (const dir of made) {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
