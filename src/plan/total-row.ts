/**
 * A spreadsheet's total row (README "Input columns"): Excel and Google Sheets exports often end
 * with a footer that sums the amount column. It is not a payment: never sent, never keyed, never
 * compared with other rows. It is written to the results (status `total`) when its amount is the
 * sum of the rows above; when it is not, a row may be missing or changed, and the total row is
 * `invalid` so that a person looks.
 *
 * The file's last non-blank record is a total row when it names no payee (no destination,
 * destinationEmail or paymentId), its amount parses, and either one of its cells is a total label
 * (trimmed, it starts with "total" or "grand total", in any case: `Total`, `TOTAL:`, `Grand total`)
 * or its amount is the sum of the amounts of the rows above that have one that parses (unlabelled,
 * at least one such row: a file of one `0.00` row without a destination is not a total).
 */
import { formatCents, parseAmount } from '../input/money.js';

/** A cell that labels its row as the total. */
const TOTAL_LABEL = /^(?:grand\s+)?total/i;

/** The amounts of the rows read so far: their sum in integer cents, how many were summed, how many could not be. */
export class AmountsAbove {
  cents = 0;
  rows = 0;
  unreadable = 0;

  add(cents: number): void {
    this.cents += cents;
    this.rows++;
  }

  addUnreadable(): void {
    this.unreadable++;
  }

  /** The sum, unless it grew past what a number holds exactly (absurd amounts only). */
  get exactCents(): number | undefined {
    return Number.isSafeInteger(this.cents) ? this.cents : undefined;
  }
}

/** The cells of the last record that say whether it can be a total row. */
interface LastRecordCells {
  destination: string;
  destinationEmail: string;
  paymentId: string;
  amount: string;
}

/** What the last record is, when it is a total row: whether it matches the rows above, and what to say. */
interface TotalRowVerdict {
  matches: boolean;
  message: string;
}

function rowsText(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}

/** The verdict on the file's last record; undefined when it is not a total row (it is then planned as any row). */
export function judgeTotalRow(
  given: LastRecordCells,
  cells: readonly string[],
  above: AmountsAbove,
): TotalRowVerdict | undefined {
  if (given.destination !== '' || given.destinationEmail !== '' || given.paymentId !== '') {
    return undefined;
  }
  const amount = parseAmount(given.amount);
  if (!amount.ok) {
    return undefined;
  }
  const sum = above.exactCents;
  const matches = sum === amount.cents;
  // Unlabelled, only a sum of some rows makes a total: a lone 0.00 is a row without a destination.
  if (!(matches && above.rows > 0) && !cells.some((cell) => TOTAL_LABEL.test(cell.trim()))) {
    return undefined;
  }
  const says = formatCents(amount.cents);
  if (matches) {
    return { matches, message: `total row: ${says}, matches the sum of the ${rowsText(above.rows)} above` };
  }
  const sumText = sum === undefined ? `more than ${formatCents(Number.MAX_SAFE_INTEGER)}` : formatCents(sum);
  const unreadable =
    above.unreadable > 0
      ? ` (${rowsText(above.unreadable)} above ${above.unreadable === 1 ? 'has an amount' : 'have amounts'} that cannot be read)`
      : '';
  return {
    matches,
    message: `total row says ${says} but the ${rowsText(above.rows)} above sum to ${sumText}: a row may be missing or changed${unreadable}`,
  };
}
