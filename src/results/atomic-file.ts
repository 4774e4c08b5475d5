/**
 * Files that a reader never sees half-written: everything goes to a temp file in the same
 * folder, is flushed to disk, and is renamed over the target.
 */
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes a file atomically: everything goes to a temp file that is renamed over the target on commit. */
export class AtomicFile {
  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    return new AtomicFile(path, tmp, await open(tmp, 'w'));
  }

  write(data: string): Promise<unknown> {
    return this.handle.write(data);
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
