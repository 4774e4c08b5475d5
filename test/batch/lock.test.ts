import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { acquireBatchLock, type BatchLock, BatchLockedError, type LockInfo } from '../../src/batch/lock.js';
import { deadPid, kill9, killAll, nextLine, sleeper, spawnFixture } from '../fixtures/child.js';

async function expectLocked(p: Promise<BatchLock>): Promise<BatchLockedError> {
  try {
    const lock = await p;
    await lock.release();
  } catch (err) {
    expect(err).to.be.instanceOf(BatchLockedError);
    expect((err as BatchLockedError).code).to.equal('BATCH_LOCKED');
    return err as BatchLockedError;
  }
  throw new Error('expected BatchLockedError, but the lock was acquired');
}

describe('batch lock', () => {
  let dir: string;
  let lockPath: string;
  const held: BatchLock[] = [];

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'payouts-lock-')), 'batch');
    lockPath = join(dir, 'lock');
  });

  afterEach(async () => {
    await killAll();
    await Promise.all(held.splice(0).map((l) => l.release()));
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  async function acquire(opts?: Parameters<typeof acquireBatchLock>[1]): Promise<BatchLock> {
    const lock = await acquireBatchLock(dir, opts);
    held.push(lock);
    return lock;
  }

  async function readLock(): Promise<LockInfo> {
    return JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo;
  }

  it('writes its holder to the lock file and removes it on release', async () => {
    const lock = await acquire({ runId: 'r1' });
    expect(lock.path).to.equal(lockPath);
    expect(lock.info).to.include({ pid: process.pid, host: hostname(), runId: 'r1' });
    expect(await readLock()).to.deep.equal(lock.info);

    await lock.release();
    expect(await readdir(dir)).to.deep.equal([]);
    await lock.release(); // idempotent
    const again = await acquire();
    expect(await readLock()).to.deep.equal(again.info);
  });

  it('refuses a second acquire in the same process, naming the holder', async () => {
    const first = await acquire({ runId: 'first' });
    const err = await expectLocked(acquireBatchLock(dir, { runId: 'second' }));
    expect(err.holder).to.deep.equal(first.info);
    expect(err.lockPath).to.equal(lockPath);
    expect(err.message).to.include(`pid ${process.pid}`).and.include('first').and.include(lockPath);
    expect(await readLock()).to.deep.equal(first.info);
  });

  it('release leaves a lock that is no longer ours', async () => {
    const lock = await acquire();
    const other: LockInfo = {
      pid: process.pid,
      host: hostname(),
      startedAt: '2025-01-01T00:00:00.000Z',
      runId: 'other',
    };
    await writeFile(lockPath, JSON.stringify(other));
    await lock.release();
    expect(await readLock()).to.deep.equal(other);
  });

  it('refuses a lock held by a live process', async () => {
    const child = spawnFixture('lock-holder.ts', [dir]);
    expect(await nextLine(child)).to.equal('locked');
    const err = await expectLocked(acquireBatchLock(dir));
    expect(err.holder).to.include({ pid: child.child.pid, host: hostname(), runId: 'fixture' });
  });

  it('takes over the lock of a process killed with SIGKILL, and says so', async () => {
    const child = spawnFixture('lock-holder.ts', [dir]);
    expect(await nextLine(child)).to.equal('locked');
    await kill9(child);
    expect((await readLock()).pid).to.equal(child.child.pid);

    const takeovers: (LockInfo | null)[] = [];
    const lock = await acquire({ onTakeover: (prev) => takeovers.push(prev) });
    expect(takeovers).to.have.length(1);
    expect(takeovers[0]).to.include({ pid: child.child.pid, runId: 'fixture' });
    expect(await readLock()).to.deep.equal(lock.info);
    expect(await readdir(dir)).to.deep.equal(['lock']); // no leftovers from the takeover
  });

  it('is removed when its process exits normally without releasing', async () => {
    const child = spawnFixture('lock-holder.ts', [dir, 'exit']);
    expect(await nextLine(child)).to.equal('locked');
    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('does not call onTakeover for a free batch', async () => {
    let called = false;
    await acquire({ onTakeover: () => (called = true) });
    expect(called).to.equal(false);
  });

  it('takes over a lock naming its own pid that it does not hold (pid reuse, e.g. pid 1 in containers)', async () => {
    const earlier: LockInfo = {
      pid: process.pid,
      host: hostname(),
      startedAt: '2025-01-01T00:00:00.000Z',
      runId: 'earlier',
    };
    await mkdir(dir, { recursive: true });
    await writeFile(lockPath, JSON.stringify(earlier));
    const takeovers: (LockInfo | null)[] = [];
    const lock = await acquire({ onTakeover: (prev) => takeovers.push(prev) });
    expect(takeovers).to.deep.equal([earlier]);
    expect(await readLock()).to.deep.equal(lock.info);
  });

  it('refuses a lock from another host, even if that pid is dead here', async () => {
    const other: LockInfo = { pid: await deadPid(), host: `not-${hostname()}`, startedAt: '2025-01-01T00:00:00.000Z' };
    await mkdir(dir, { recursive: true });
    await writeFile(lockPath, JSON.stringify(other));
    const err = await expectLocked(acquireBatchLock(dir));
    expect(err.holder).to.deep.equal(other);
    expect(await readLock()).to.deep.equal(other);
  });

  it('takes over an old empty lock file (crash between create and write)', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(lockPath, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    const takeovers: (LockInfo | null)[] = [];
    const lock = await acquire({ onTakeover: (prev) => takeovers.push(prev) });
    expect(takeovers).to.deep.equal([null]);
    expect(await readLock()).to.deep.equal(lock.info);
  });

  it('waits on a fresh empty lock file rather than taking it over', async () => {
    const other = sleeper();
    await nextLine(other);
    await mkdir(dir, { recursive: true });
    await writeFile(lockPath, '');
    const holder: LockInfo = {
      pid: other.child.pid!,
      host: hostname(),
      startedAt: new Date().toISOString(),
      runId: 'slow-writer',
    };
    // the holder writes its info a little later
    const written = sleep(300).then(() => writeFile(lockPath, JSON.stringify(holder)));
    const err = await expectLocked(acquireBatchLock(dir));
    await written;
    expect(err.holder).to.deep.equal(holder);
  });

  describe('takeover claims', () => {
    let stale: LockInfo;
    let claimPath: string;

    beforeEach(async () => {
      stale = { pid: await deadPid(), host: hostname(), startedAt: '2025-01-01T00:00:00.000Z' };
      await mkdir(dir, { recursive: true });
      await writeFile(lockPath, JSON.stringify(stale));
      // the first claim's name: lock.takeover-FINGERPRINT.0, FINGERPRINT of (inode, mtime, content)
      const st = await stat(lockPath);
      const fp = createHash('sha256')
        .update(`${st.ino}:${st.mtimeMs}:${JSON.stringify(stale)}`)
        .digest('hex');
      claimPath = `${lockPath}.takeover-${fp.slice(0, 16)}.0`;
    });

    it('waits for a live taker holding the claim instead of taking over too', async () => {
      const other = sleeper();
      await nextLine(other);
      const claimer: LockInfo = {
        pid: other.child.pid!,
        host: hostname(),
        startedAt: new Date().toISOString(),
        runId: 'claimer',
      };
      await writeFile(claimPath, JSON.stringify(claimer));
      // the claimer finishes its takeover a little later, as src/batch/lock.ts does: its lock
      // renamed over the stale one (never a moment without a lock file), then the claim removed
      const finished = sleep(300).then(async () => {
        await writeFile(`${claimPath}.lock`, JSON.stringify(claimer));
        await rename(`${claimPath}.lock`, lockPath);
        await rm(claimPath);
      });
      const err = await expectLocked(acquireBatchLock(dir));
      await finished;
      expect(err.holder).to.deep.equal(claimer);
    });

    it('takes over past the claim of a taker that died mid-takeover, cleaning it up', async () => {
      const claimer: LockInfo = { pid: await deadPid(), host: hostname(), startedAt: new Date().toISOString() };
      await writeFile(claimPath, JSON.stringify(claimer));
      const takeovers: (LockInfo | null)[] = [];
      const lock = await acquire({ onTakeover: (prev) => takeovers.push(prev) });
      expect(takeovers).to.deep.equal([stale]);
      expect(await readLock()).to.deep.equal(lock.info);
      expect(await readdir(dir)).to.deep.equal(['lock']);
    });
  });

  it('lets exactly one of many concurrent takers win a stale lock', async () => {
    const dead = await deadPid();
    for (let round = 0; round < 50; round++) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const stale: LockInfo = { pid: dead, host: hostname(), startedAt: '2025-01-01T00:00:00.000Z' };
      await writeFile(lockPath, JSON.stringify(stale));

      let takeovers = 0;
      const results = await Promise.allSettled(
        // takers start a few event-loop turns apart, so late ones meet a takeover in progress
        Array.from({ length: 12 }, async (_, i) => {
          for (let t = 0; t < i % 4; t++) {
            await new Promise(setImmediate);
          }
          return acquireBatchLock(dir, { runId: `taker-${i}`, onTakeover: () => takeovers++ });
        }),
      );
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      expect(won, `round ${round}`).to.have.length(1);
      for (const err of lost) {
        expect(err).to.be.instanceOf(BatchLockedError);
      }
      expect(takeovers).to.equal(1);
      expect(await readLock()).to.deep.equal(won[0]!.info);
      expect(await readdir(dir)).to.deep.equal(['lock']);
      await won[0]!.release();
    }
  });
});
