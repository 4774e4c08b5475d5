import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { ChunkFile, readChunks } from '../../src/batch/chunk-file.js';
import { removeDir, tempDir } from '../helpers.js';

const BODY = { _links: { source: { href: 'https://api.example/funding-sources/s' } }, items: [] };

function chunk(id: string) {
  return {
    type: 'chunk' as const,
    id,
    at: '2026-12-02T15:00:00.000Z',
    source: 's',
    keys: ['k1'],
    planDigest: 'd',
    deferred: false,
    body: BODY,
  };
}

describe('chunk-file (mass-payments.jsonl)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('payouts-chunks-');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('reads back chunks and their Locations in order; a missing file is no chunks', async () => {
    const path = join(dir, 'mass-payments.jsonl');
    expect((await readChunks(path)).size).to.equal(0);
    const file = new ChunkFile(path);
    await file.append(chunk('a'));
    await file.append(chunk('b'));
    await file.append({
      type: 'created',
      id: 'a',
      at: '2026-12-02T15:00:01.000Z',
      url: 'https://api.example/mass-payments/1',
    });
    const read = await readChunks(path);
    expect([...read.keys()]).to.deep.equal(['a', 'b']);
    expect(read.get('a')!.url).to.equal('https://api.example/mass-payments/1');
    expect(read.get('b')!.url).to.equal(undefined);
  });

  it('a torn last line (kill -9 mid-write) is ignored, and cut off before the next record: the file stays readable', async () => {
    const path = join(dir, 'mass-payments.jsonl');
    await new ChunkFile(path).append(chunk('a'));
    await appendFile(path, '{"type":"chunk","id":"torn","at":"2026-');
    expect([...(await readChunks(path)).keys()]).to.deep.equal(['a']);
    // The next run's writer appends after cutting the torn tail.
    await new ChunkFile(path).append(chunk('b'));
    expect([...(await readChunks(path)).keys()]).to.deep.equal(['a', 'b']);
    expect(await readFile(path, 'utf8')).not.to.contain('torn');
  });

  it('a damaged line in the middle is refused, never skipped', async () => {
    const path = join(dir, 'mass-payments.jsonl');
    await appendFile(path, `${JSON.stringify(chunk('a'))}\nnot json\n${JSON.stringify(chunk('b'))}\n`);
    let error: unknown;
    try {
      await readChunks(path);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.contain('damaged at line 2');
  });
});
