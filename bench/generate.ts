/** Writes a realistic payee CSV of N rows for the benchmarks, streaming (memory stays flat). */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const FIRST = ['Ava', 'Liam', 'Sofia', 'Noah', 'Mia', 'Ethan', 'Isabella', 'Lucas', 'Amelia', 'Mason'];
const LAST = ['Thompson', 'Patel', 'García', 'Kim', 'Johnson', "O'Brien", 'Rossi', 'Müller', 'Nguyen', 'Davis'];

/** A deterministic UUID-shaped id from a number. */
export function uuidOf(n: number, salt: number): string {
  const h = (n * 2654435761 + salt * 40503) >>> 0;
  const a = h.toString(16).padStart(8, '0');
  const b = n.toString(16).padStart(12, '0').slice(-12);
  return `${a}-${(salt & 0xffff).toString(16).padStart(4, '0')}-4${a.slice(0, 3)}-8${b.slice(0, 3)}-${b}`;
}

/** Row i's destination funding source: the same in every generated file (ledger.ts pays them too). */
export function destinationOf(i: number): string {
  return uuidOf(i, 1);
}

/** Row i's amount in cents: the same in every generated file. */
export function amountCentsOf(i: number): number {
  return 100 + ((i * 7919) % 900_000);
}

/** Row i's paymentId unless the caller chooses: PAY-1, PAY-2, … */
export function paymentIdOf(i: number): string {
  return `PAY-${i + 1}`;
}

export interface PayeeOptions {
  /** Row i's source column (empty: the default source). */
  bankSource?: (i: number) => string | undefined;
  /** Row i's paymentId (default paymentIdOf; undefined leaves the cell empty: a row without paymentId). */
  paymentId?: (i: number) => string | undefined;
}

export async function generatePayees(path: string, rows: number, opts: PayeeOptions = {}): Promise<void> {
  const out = createWriteStream(path);
  const paymentId = opts.paymentId ?? paymentIdOf;
  out.write(
    'paymentId,name,email,destination,amount,source,metadata.invoice,metadata.department,destinationAddenda,notes\n',
  );
  for (let i = 0; i < rows; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i * 7) % LAST.length]!;
    const cents = amountCentsOf(i);
    const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    const source = opts.bankSource?.(i) ?? '';
    const notes = i % 10 === 0 ? '"net 30, paid monthly"' : '';
    // Dwolla refuses metadata on a transfer from a balance: only rows from a bank carry it.
    const metadata = source ? `INV-${100000 + i},Dept ${i % 12}` : ',';
    const line = `${paymentId(i) ?? ''},"${first} ${last}",${first.toLowerCase()}.${i}@example.com,${destinationOf(i)},${amount},${source},${metadata},Invoice INV-${100000 + i},${notes}\n`;
    if (!out.write(line)) {
      await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}
