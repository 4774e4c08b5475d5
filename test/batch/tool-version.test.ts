/** The tool's version and build (src/batch/tool-version.ts): the build tells a rebuild apart. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { codeDigest, toolBuild, toolVersion } from '../../src/batch/tool-version.js';
import { removeDir, tempDir } from '../helpers.js';

describe('tool version and build', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('payouts-build-');
    await mkdir(join(dir, 'results'));
    await writeFile(join(dir, 'main.js'), 'export const a = 1;\n');
    await writeFile(join(dir, 'results', 'rows.js'), 'export const b = 2;\n');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("changes with any module's bytes, name or presence, and with nothing else", async () => {
    const first = codeDigest(dir);
    expect(first).to.match(/^[0-9a-f]{16}$/);
    expect(codeDigest(dir)).to.equal(first);
    await writeFile(join(dir, 'results', 'rows.js.map'), '{}');
    await writeFile(join(dir, 'README.md'), 'notes');
    expect(codeDigest(dir), 'not code').to.equal(first);
    await writeFile(join(dir, 'results', 'rows.js'), 'export const b = 3;\n');
    const edited = codeDigest(dir);
    expect(edited).to.not.equal(first);
    await writeFile(join(dir, 'results', 'extra.js'), '');
    expect(codeDigest(dir)).to.not.equal(edited);
  });

  it('names the version and the digest of its own code', () => {
    expect(toolBuild()).to.match(new RegExp(`^${toolVersion().replaceAll('.', '\\.')}\\+[0-9a-f]{16}$`));
  });
});
