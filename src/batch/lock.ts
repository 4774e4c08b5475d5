/**
 * One run per batch: the lock file `OUT/BATCH_ID/lock`, created with O_EXCL and holding the
 * holder's `LockInfo` as JSON.
 *
 * A lock whose holder is a dead process on this host (or that is empty/unparseable and older
 * than a few seconds: a crash between create and write) is stale and taken over. A lock held by
 * a live process, or by any process on another host (whose liveness we cannot check), is not:
 * `acquireBatchLock` throws `BatchLockedError` naming the holder.
 *
 * Takeover is race-safe between takers. A taker first claims the stale lock by creating, with
 * O_EXCL, `lock.takeover-FINGERPRINT.GEN` (FINGERPRINT: the stale file's inode, mtime and
 * content; GEN: 0, or one more than a claim whose claimer died). Only the claim's holder replaces
 * the stale file, after checking it is still that very file, by renaming its own lock over it:
 * the lock is never absent meanwhile, so a taker arriving late cannot slip in and hold the batch
 * without the takeover being said. The claim's holder holds the batch and calls onTakeover.
 * Claims are removed by their holder. A claimer killed mid-takeover (a window of microseconds)
 * leaves its claim behind; the next taker then claims the next generation and removes the
 * dead claims along with the stale lock.
 *
 * A held lock is removed by `release()` or, failing that, when the process exits normally
 * (the 'exit' event, which `process.exit` also fires). A kill -9 leaves it: that is the
 * takeover case. A lock naming this process's own pid is live only while another call in this
 * process holds or is acquiring it. Other PIDs are checked with signal 0, not by process start
 * time, so a dead holder whose pid was reused by another live process keeps the batch locked
 * until that process ends or the lock file is removed by hand.
 */

import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchStateError } from './errors.js';

const LOCK_FILE = 'lock';

/** An unreadable lock file older than this is a crash's leftover, not a lock being written. */
const CORRUPT_STALE_MS = 5_000;
const CORRUPT_RECHECK_MS = 100;
/** How long to let another taker finish before looking at the lock again. */
const CLAIM_RECHECK_MS = 10;

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  runId?: string;
}

export class BatchLockedError extends BatchStateError {
  readonly holder: LockInfo;
  readonly lockPath: string;

  constructor(lockPath: string, holder: LockInfo) {
    const run = holder.runId ? `, run ${holder.runId}` : '';
    super(
      'BATCH_LOCKED',
      `batch is locked by pid ${holder.pid} on ${holder.host} (since ${holder.startedAt}${run}); ` +
        `if that run is no longer running, remove ${lockPath}`,
    );
    this.name = 'BatchLockedError';
    this.holder = holder;
    this.lockPath = lockPath;
  }
}

export interface BatchLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** This host's name [os.hostname()]. */
  host?: string;
  /** The holder's pid [process.pid]. */
  pid?: number;
  /** Recorded in the lock so a BatchLockedError can name the run. */
  runId?: string;
  /** Called once the lock is won from a stale holder (null: the stale file was unreadable). */
  onTakeover?: (prev: LockInfo | null) => void;
}

/** Acquires `dir/lock` (creating `dir` if needed), taking over a stale lock. */
export async function acquireBatchLock(dir: string, opts: AcquireOptions = {}): Promise<BatchLock> {
  const host = opts.host ?? hostname();
  const info: LockInfo = {
    pid: opts.pid ?? process.pid,
    host,
    startedAt: new Date().toISOString(),
    ...(opts.runId !== undefined && { runId: opts.runId }),
  };
  const content = `${JSON.stringify(info)}\n`;
  const path = resolve(dir, LOCK_FILE);
  const done = use(path);
  try {
    await mkdir(dir, { recursive: true });
    const replaced = await createLock(path, host, content);
    if (replaced) {
      opts.onTakeover?.(replaced.info);
    }
    return new HeldLock(path, info, content, done);
  } catch (err) {
    done();
    throw err;
  }
}

/**
 * Creates the lock file at `path`, taking over stale ones on the way; returns the stale lock it
 * replaced, if any. Throws BatchLockedError when a live holder has it.
 */
async function createLock(path: string, host: string, content: string): Promise<{ info: LockInfo | null } | undefined> {
  let replaced: { info: LockInfo | null } | undefined;
  for (;;) {
    if (await createExclusive(path, content)) {
      return replaced;
    }
    const seen = await inspect(path);
    if (!seen) {
      continue; // released meanwhile
    }
    const verdict = judge(seen, host, path);
    if (verdict === 'live') {
      throw new BatchLockedError(path, seen.info!);
    }
    if (verdict === 'writing') {
      await sleep(CORRUPT_RECHECK_MS);
      continue;
    }
    replaced = { info: seen.info };
    if (await replaceStale(path, seen, host, content)) {
      return replaced;
    }
  }
}

/**
 * For each lock or claim path, how many acquireBatchLock calls of this process are using it
 * (trying to create it, or holding it). A file naming this very pid is live only if another
 * such call exists; otherwise it was left by an earlier process that had the same pid (pid
 * reuse is routine in containers, where every run may be pid 1).
 */
const users = new Map<string, number>();

/** Counts a user of `path`; returns its idempotent `done`. */
function use(path: string): () => void {
  users.set(path, (users.get(path) ?? 0) + 1);
  let finished = false;
  return () => {
    if (finished) {
      return;
    }
    finished = true;
    const n = users.get(path)! - 1;
    if (n === 0) {
      users.delete(path);
    } else {
      users.set(path, n);
    }
  };
}

class HeldLock implements BatchLock {
  private released = false;
  private readonly onExit = (): void => {
    try {
      if (readFileSync(this.path, 'utf8') === this.content) {
        unlinkSync(this.path);
      }
    } catch {
      // exiting anyway: a leftover lock is taken over by the next run
    }
  };

  constructor(
    readonly path: string,
    readonly info: LockInfo,
    private readonly content: string,
    private readonly done: () => void,
  ) {
    process.on('exit', this.onExit);
  }

  async release(): Promise<void> {
    if (this.released) {
      return;
    }
    this.released = true;
    process.off('exit', this.onExit);
    try {
      if ((await readFile(this.path, 'utf8')) === this.content) {
        await unlink(this.path);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw err;
      }
    } finally {
      this.done();
    }
  }
}

/** Creates `path` with O_EXCL and writes `content`; false if it exists. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw err;
  }
  try {
    await fh.writeFile(content, 'utf8');
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw err;
  }
  return true;
}

interface Seen {
  ino: number;
  mtimeMs: number;
  raw: string;
  /** null: empty or not a LockInfo. */
  info: LockInfo | null;
  ageMs: number;
}

/** The lock file as it is now, or undefined if there is none. */
async function inspect(path: string): Promise<Seen | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
  try {
    const st = await fh.stat();
    const raw = await fh.readFile('utf8');
    return { ino: st.ino, mtimeMs: st.mtimeMs, raw, info: parseLockInfo(raw), ageMs: Date.now() - st.mtimeMs };
  } finally {
    await fh.close();
  }
}

/**
 * Replaces the stale lock `seen` at `path` with this taker's (`content`) unless it was replaced
 * meanwhile, under an exclusive claim (see the top of this file): true when this taker now holds
 * the lock. False, without touching the lock, when another live taker holds the claim or the
 * lock changed; the caller then looks at the lock again.
 */
async function replaceStale(path: string, seen: Seen, host: string, content: string): Promise<boolean> {
  const base = `${path}.takeover-${fingerprint(seen)}`;
  for (let gen = 0; ; gen++) {
    const claim = `${base}.${gen}`;
    const done = use(claim);
    try {
      if (await createExclusive(claim, content)) {
        try {
          return await renameOverIfUnchanged(path, seen, `${claim}.lock`, content);
        } finally {
          // lower generations belong to dead claimers
          for (let g = 0; g <= gen; g++) {
            await unlinkIfExists(`${base}.${g}`);
            await unlinkIfExists(`${base}.${g}.lock`); // a dead claimer's lock that never got renamed
          }
        }
      }
      const claimer = await inspect(claim);
      if (!claimer || judge(claimer, host, claim) !== 'stale') {
        await sleep(CLAIM_RECHECK_MS);
        return false;
      }
    } finally {
      done();
    }
  }
}

/** Under the claim: writes `content` to `temp` and renames it over `path` if `path` is still `seen`. */
async function renameOverIfUnchanged(path: string, seen: Seen, temp: string, content: string): Promise<boolean> {
  const now = await inspect(path);
  if (!now || fingerprint(now) !== fingerprint(seen)) {
    return false;
  }
  if (!(await createExclusive(temp, content))) {
    return false;
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlinkIfExists(temp);
    throw err;
  }
  return true;
}

function fingerprint(seen: Seen): string {
  return createHash('sha256').update(`${seen.ino}:${seen.mtimeMs}:${seen.raw}`).digest('hex').slice(0, 16);
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
  }
}

/**
 * What the lock or claim file `seen` at `path` means for a taker: `live`, a holder that may be
 * running (alive on this host, or on another host); `writing`, unreadable but young, probably
 * being written; `stale`, safe to take over.
 */
function judge(seen: Seen, host: string, path: string): 'live' | 'writing' | 'stale' {
  if (!seen.info) {
    return seen.ageMs < CORRUPT_STALE_MS ? 'writing' : 'stale';
  }
  if (seen.info.host !== host) {
    return 'live';
  }
  const alive = seen.info.pid === process.pid ? users.get(path)! > 1 : isAlive(seen.info.pid);
  return alive ? 'live' : 'stale';
}

function parseLockInfo(raw: string): LockInfo | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) {
    return null;
  }
  const { pid, host, startedAt, runId } = v as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) {
    return null;
  }
  if (typeof host !== 'string' || host === '' || typeof startedAt !== 'string') {
    return null;
  }
  return {
    pid: pid as number,
    host,
    startedAt,
    ...(typeof runId === 'string' && { runId }),
  };
}

/** Whether `pid` is a live process on this host (EPERM: alive, just not ours to signal). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
