/** Writes a realistic payee CSV of N rows for the benchmarks, streaming (memory stays flat). */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const FIRST = ['Ava', 'Liam', 'Sofia', 'Noah', 'Mia', 'Ethan', 'Isabella', 'Lucas', 'Amelia', 'Mason'];
const LAST = ['Thompson', 'Patel', 'García', 'Kim', 'Johnson', "O'Brien", 'Rossi', 'Müller', 'Nguyen', 'Davis'];

/** A deterministic UUID-shaped id from a number. */
function uuidOf(n: number, salt: number): string {
  const h = (n * 2654435761 + salt * 40503) >>> 0;
  const a = h.toString(16).padStart(8, '0');
  const b = n.toString(16).padStart(12, '0').slice(-12);
  return `${a}-${(salt & 0xffff).toString(16).padStart(4, '0')}-4${a.slice(0, 3)}-8${b.slice(0, 3)}-${b}`;
}

export async function generatePayees(
  path: string,
  rows: number,
  opts: { bankSource?: (i: number) => string | undefined } = {},
): Promise<void> {
  const out = createWriteStream(path);
  out.write(
    'paymentId,name,email,destination,amount,source,metadata.invoice,metadata.department,destinationAddenda,notes\n',
  );
  for (let i = 0; i < rows; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i * 7) % LAST.length]!;
    const cents = 100 + ((i * 7919) % 900_000);
    const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    const source = opts.bankSource?.(i) ?? '';
    const notes = i % 10 === 0 ? '"net 30, paid monthly"' : '';
    const line = `PAY-${i + 1},"${first} ${last}",${first.toLowerCase()}.${i}@example.com,${uuidOf(i, 1)},${amount},${source},INV-${100000 + i},Dept ${i % 12},Invoice INV-${100000 + i},${notes}\n`;
    if (!out.write(line)) {
      await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}
