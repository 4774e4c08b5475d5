/**
 * Files that a reader never sees half-written: everything goes to a temp file in the same
 * folder, is flushed to disk, and is renamed over the target.
 */
import { copyFile, type FileHandle, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `.<name>.<pid>.<ms>.tmp`: an AtomicFile's temp file, next to its target `name`. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

function tempName(target: string): string {
  return `.${basename(target)}.${process.pid}.${Date.now()}.tmp`;
}

/** Whether a process with this pid is alive on this host (one of another user counts as alive). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files that AtomicFiles of the targets `names` in `dir` left behind when their
 * process was killed between creating and committing them; resolves with the paths removed.
 *
 * Only a temp file whose pid is not a live process on this host is removed, so this is safe for a
 * caller that holds no lock: a dry run (which takes no batch lock) running next to another dry run
 * or a real run of the same batch never removes the file that one is writing. A live pid may be a
 * reused one; its orphan is then kept until a later call. A process on another host writing into a
 * shared folder cannot be seen from here: keep one batch's output folder to one host.
 */
export async function removeOrphanedTemps(dir: string, names: readonly string[]): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw err;
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = TEMP_NAME.exec(entry);
    if (m && names.includes(m[1]!) && !isAlive(Number(m[2]))) {
      await rm(join(dir, entry), { force: true });
      removed.push(join(dir, entry));
    }
  }
  return removed;
}

/** Sees every byte written to an AtomicFile, in order (e.g. to hash them). */
export interface BytesSink {
  add(data: Buffer): void;
}

/**
 * The temp file's path for a new write of `path`, once the temp files that killed earlier writes
 * of `path` left beside it are removed: every atomic write clears its own target's, whoever
 * calls it (results.csv, summary.json, plan.json, the results memo).
 */
async function newTemp(path: string): Promise<string> {
  await removeOrphanedTemps(dirname(path), [basename(path)]);
  return join(dirname(path), tempName(path));
}

/** Writes a file atomically: everything goes to a temp file that is renamed over the target on commit. */
export class AtomicFile {
  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly handle: FileHandle,
    private readonly sink: BytesSink | undefined,
  ) {}

  static async create(path: string, sink?: BytesSink): Promise<AtomicFile> {
    const tmp = await newTemp(path);
    return new AtomicFile(path, tmp, await open(tmp, 'w'), sink);
  }

  write(data: string): Promise<unknown> {
    if (!this.sink) {
      return this.handle.write(data);
    }
    const bytes = Buffer.from(data, 'utf8');
    this.sink.add(bytes);
    return this.handle.write(bytes);
  }

  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const file = await AtomicFile.create(path);
  try {
    await file.write(data);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}

/**
 * Rewrites `path` atomically with its own bytes: copied to a temp file beside it, which replaces
 * it (synced, then renamed over it) only when `verify(temp)` holds. What is installed is exactly
 * the bytes verified, whatever happens to `path` meanwhile. Whether it was replaced.
 */
export async function rewriteVerified(path: string, verify: (temp: string) => Promise<boolean>): Promise<boolean> {
  let tmp: string | undefined;
  try {
    // A copy cut short by a kill is as big as the file: the next rewrite clears it, as a writer does.
    tmp = await newTemp(path);
    await copyFile(path, tmp);
    if (!(await verify(tmp))) {
      await rm(tmp, { force: true });
      return false;
    }
    await syncFile(tmp);
    await rename(tmp, path);
    return true;
  } catch {
    if (tmp !== undefined) {
      await rm(tmp, { force: true });
    }
    return false;
  }
}

/** Flushes a file's bytes to disk (fsync), e.g. a copy about to be renamed into place. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
