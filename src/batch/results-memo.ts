/**
 * What a finished batch's results.csv held when its run wrote it, kept in the batch's state
 * folder (`results-memo.json`): the bytes and SHA-256 of the file, the journal's length then, and
 * what else the lines were made from (the input's digest and reading, the settings that plan a
 * row, the tool's build). A later run that sends nothing (the cron job's retry of a finished
 * batch) and finds all of these as they were, the input file still of its digest, and results.csv
 * still those bytes, would write the very same lines again: it rewrites the file with its own
 * checked bytes (temp file and rename, as every run does) and writes summary.json, rather than
 * reading a million rows and their journal records again to make them.
 *
 * Only a batch every row of which was created is memoised (its summary then names no row for a
 * person). Anything that could make a line differ makes the memo not apply, and the results are
 * written in full as always: another file or reading, another journal length (a run, a
 * reconcile), other planning settings or --out or --no-bom, another build of the tool, a
 * results.csv edited, replaced or gone. The memo is a cache, never a record: it is not fsync'd,
 * and one that cannot be read is no memo.
 */
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { rewriteVerified, writeFileAtomic } from '../results/atomic-file.js';
import type { SummaryFigures } from '../results/tally.js';

const FILE_NAME = 'results-memo.json';
const FORMAT = 1;

interface ResultsMemo {
  format: typeof FORMAT;
  /** `memoBasis`: everything else the lines were made from. */
  basis: string;
  /** The journal's length in bytes when the lines were made from it. */
  journalBytes: number;
  results: LinesFingerprint;
  counts: SummaryFigures;
}

/** A written file's length and SHA-256 (hex). */
export interface LinesFingerprint {
  bytes: number;
  sha256: string;
}

/** Hashes a file's bytes as they are written (src/results/atomic-file.ts). */
export class FingerprintingSink {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  add(data: Buffer): void {
    this.hash.update(data);
    this.bytes += data.length;
  }

  finish(): LinesFingerprint {
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

export function resultsMemoPath(batchStateDir: string): string {
  return join(batchStateDir, FILE_NAME);
}

/** What the results' lines depend on besides the journal: compared as text. */
export function memoBasis(parts: {
  inputDigest: string;
  reading: string;
  keyVersion: string;
  batchId: string;
  maxAmountCents: number;
  allowDuplicates: boolean;
  defaultSourceId: string | undefined;
  resultsPath: string;
  bom: boolean;
  extraColumns: readonly string[];
  /** `toolBuild()`: the version and a digest of the tool's code (a rebuild may write lines otherwise). */
  toolBuild: string;
}): string {
  return JSON.stringify([
    parts.inputDigest,
    parts.reading,
    parts.keyVersion,
    parts.batchId,
    parts.maxAmountCents,
    parts.allowDuplicates,
    parts.defaultSourceId ?? null,
    parts.resultsPath,
    parts.bom,
    parts.extraColumns,
    parts.toolBuild,
  ]);
}

async function readMemo(path: string): Promise<ResultsMemo | undefined> {
  try {
    const memo = JSON.parse(await readFile(path, 'utf8')) as Partial<ResultsMemo>;
    const ok =
      memo.format === FORMAT &&
      typeof memo.basis === 'string' &&
      typeof memo.journalBytes === 'number' &&
      typeof memo.results?.sha256 === 'string' &&
      typeof memo.results.bytes === 'number' &&
      typeof memo.counts?.rows === 'number';
    return ok ? (memo as ResultsMemo) : undefined;
  } catch {
    return undefined;
  }
}

/** The file's length and SHA-256, read through one buffer (a stream's chunks would each be a new one). */
export async function fingerprintOf(path: string): Promise<LinesFingerprint | undefined> {
  const sink = new FingerprintingSink();
  const buf = Buffer.allocUnsafe(256 * 1024);
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) {
        break;
      }
      sink.add(buf.subarray(0, bytesRead));
    }
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
  return sink.finish();
}

/**
 * The memoised results when the memo at `memoPath` applies: made on `basis` from a journal of
 * `journalBytes`, and `resultsPath` still holds the bytes it says; the file is then rewritten
 * atomically with those bytes (copied, checked, renamed over it). Else undefined, and untouched.
 */
export async function memoisedResults(
  memoPath: string,
  basis: string,
  journalBytes: number,
  resultsPath: string,
  /** Checked last, before the copy: e.g. the input file still of its digest (hashing it costs). */
  stillTrue: () => Promise<boolean>,
): Promise<{ counts: SummaryFigures; results: LinesFingerprint } | undefined> {
  const memo = await readMemo(memoPath);
  if (memo === undefined || memo.basis !== basis || memo.journalBytes !== journalBytes) {
    return undefined;
  }
  const size = await stat(resultsPath).then(
    (st) => st.size,
    () => -1,
  );
  if (size !== memo.results.bytes || !(await stillTrue())) {
    return undefined;
  }
  // Rewritten at the end of this run too (SPEC: temp file + rename), with the bytes checked in the copy.
  const same = await rewriteVerified(resultsPath, async (copy) => {
    const now = await fingerprintOf(copy);
    return now?.bytes === memo.results.bytes && now.sha256 === memo.results.sha256;
  });
  return same ? { counts: memo.counts, results: memo.results } : undefined;
}

/** Keeps what the results just written hold (atomically: a torn memo would only be no memo). */
export async function writeResultsMemo(
  memoPath: string,
  memo: { basis: string; journalBytes: number; results: LinesFingerprint; counts: SummaryFigures },
): Promise<void> {
  const { basis, journalBytes, results } = memo;
  const { rows, byStatus, sameDay, totalRow } = memo.counts;
  const counts: SummaryFigures = { rows, byStatus, sameDay, ...(totalRow ? { totalRow } : {}) };
  const kept: ResultsMemo = { format: FORMAT, basis, journalBytes, results, counts };
  await writeFileAtomic(memoPath, `${JSON.stringify(kept)}\n`);
}
