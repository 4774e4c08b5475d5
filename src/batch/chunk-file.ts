/**
 * A batch's mass payments (src/batch/mass-send.ts), as it records them beside its journal in
 * `mass-payments.jsonl`: append-only JSON lines, each made durable (fdatasync) before what depends
 * on it. A chunk's record holds its row keys and the exact request body, written before its
 * `POST /mass-payments`, so that a rerun can look it up by correlationId and, when Dwolla never got
 * it, send the same body again with the same Idempotency-Key; its Location is recorded after the
 * answer. Only a torn last line (a crash mid-write) is ignored.
 */
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CreateMassPaymentRequest } from '../dwolla/types.js';

/** Written before the chunk's POST: what it is and exactly what is sent. */
interface ChunkRecord {
  type: 'chunk';
  /** The mass payment's correlationId, and its Idempotency-Key. */
  id: string;
  at: string;
  source: string;
  /** The row keys of its items, in item order. */
  keys: string[];
  /** The plan digest of the run that made it: what `payouts approve` checks. */
  planDigest: string;
  deferred: boolean;
  body: CreateMassPaymentRequest;
}

/** Written once Dwolla answered 201: where the mass payment is. */
interface ChunkCreatedRecord {
  type: 'created';
  id: string;
  at: string;
  url: string;
}

type ChunkLine = ChunkRecord | ChunkCreatedRecord;

/** A chunk as the file tells it: its record, and its Location once known. */
export interface KnownChunk {
  record: ChunkRecord;
  url?: string;
}

export function chunkFilePath(batchStateDir: string): string {
  return join(batchStateDir, 'mass-payments.jsonl');
}

/** The chunks recorded in the file, by id, in the order they were written; none when it does not exist. */
export async function readChunks(path: string): Promise<Map<string, KnownChunk>> {
  const chunks = new Map<string, KnownChunk>();
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      return '';
    }
    throw err;
  });
  const lines = text.split('\n');
  // The last piece is '' after a final newline; anything else there is a torn line.
  lines.pop();
  for (const [i, line] of lines.entries()) {
    const rec = parseLine(line, i + 1, path);
    if (rec.type === 'chunk') {
      chunks.set(rec.id, { record: rec });
    } else {
      const known = chunks.get(rec.id);
      if (known) {
        known.url = rec.url;
      }
    }
  }
  return chunks;
}

function parseLine(line: string, lineNo: number, path: string): ChunkLine {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    throw new Error(`${path} is damaged at line ${lineNo}: not valid JSON`);
  }
  const r = rec as Partial<ChunkLine>;
  if ((r.type !== 'chunk' && r.type !== 'created') || typeof r.id !== 'string') {
    throw new Error(`${path} is damaged at line ${lineNo}: not a mass payment record`);
  }
  return r as ChunkLine;
}

/**
 * Cuts off a torn last line (no final newline: a crash mid-write), which `readChunks` ignores, so
 * that the next record starts a line of its own. The cut is made durable.
 */
async function cutTornTail(path: string): Promise<void> {
  const text = await readFile(path);
  if (text.length === 0 || text[text.length - 1] === 0x0a) {
    return;
  }
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(text.lastIndexOf(0x0a) + 1);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Appends records durably, one writer at a time (the batch lock). */
export class ChunkFile {
  private queue: Promise<void> = Promise.resolve();
  /** A torn last line (a crash mid-write) was cut off before this writer's first append. */
  private checked = false;

  constructor(readonly path: string) {}

  /** Resolves once the line is durable (and, for a new file, its directory entry too). */
  append(rec: ChunkLine): Promise<void> {
    const write = this.queue.then(() => this.write(rec));
    this.queue = write.catch(() => undefined);
    return write;
  }

  private async write(rec: ChunkLine): Promise<void> {
    const created = !existsSync(this.path);
    if (!created && !this.checked) {
      await cutTornTail(this.path);
    }
    this.checked = true;
    const fh = await open(this.path, 'a');
    try {
      const line = Buffer.from(`${JSON.stringify(rec)}\n`);
      const { bytesWritten } = await fh.write(line);
      if (bytesWritten !== line.length) {
        throw new Error(`${this.path}: only ${bytesWritten} of ${line.length} bytes written`);
      }
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (created) {
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }
}
