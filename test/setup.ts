/**
 * Root hooks: every test gets its own state directory (PAYOUTS_HOME), so tests never share or
 * leak durable state and never touch the real home directory. Child processes inherit it.
 * Hooks that run before a test (a describe's `before`) use the process-wide one set here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
