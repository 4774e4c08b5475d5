/**
 * What `payouts template [--with-optional]` does: writes to stdout a payee CSV to fill in, a
 * header row and one example line (SPEC "Input CSV"). The usual columns by default: a carried
 * `name`, the required `destination` and `amount`, and `paymentId`, which makes a row one payment
 * for ever; with --with-optional, every column the tool reads. The example line is itself a valid
 * row (`payouts run FILE --dry-run` plans it), so that a file started from the template fails only
 * on what the team typed.
 */
import { quoteCell } from '../../results/columns.js';
import type { TemplateArgs } from '../commands/template.js';
import { EXIT } from '../exit-codes.js';

/** A column of the template: its header, its example cell, and whether only --with-optional shows it. */
interface TemplateColumn {
  header: string;
  example: string;
  optional?: true;
}

/**
 * A payee's funding source (a bare UUID; the `…/funding-sources/{id}` URL works too), the customer
 * who owns it (a fee may be charged only to a party of the transfer), and a bank source (Dwolla
 * refuses metadata on a transfer from a balance). The simulator's own ids, as in samples/payees.csv,
 * so that the example line is paid as it stands in a rehearsal.
 */
const EXAMPLE_DESTINATION = '8d116ece-1738-47d9-bd9c-172411e20b8f';
const EXAMPLE_PAYEE_CUSTOMER = '7b0df562-46af-4691-a470-ed7efc508817';
const EXAMPLE_BANK_SOURCE = '5bec1a10-0000-4000-8000-000000000001';

/**
 * In the order a person fills them in. `destinationEmail` is left empty in the example: a row gives
 * the destination or the payee's email, and the example gives the destination.
 */
const TEMPLATE_COLUMNS: readonly TemplateColumn[] = [
  { header: 'name', example: 'Ava Thompson' },
  { header: 'destination', example: EXAMPLE_DESTINATION },
  { header: 'destinationEmail', example: '', optional: true },
  { header: 'amount', example: '1,250.00' },
  { header: 'currency', example: 'USD', optional: true },
  { header: 'source', example: EXAMPLE_BANK_SOURCE, optional: true },
  { header: 'paymentId', example: 'INV-2026-11-0001' },
  { header: 'correlationId', example: 'inv-2026-11-0001', optional: true },
  { header: 'metadata.invoice', example: 'INV-2026-11-0001', optional: true },
  { header: 'feeAmount', example: '2.50', optional: true },
  { header: 'feeChargeTo', example: EXAMPLE_PAYEE_CUSTOMER, optional: true },
  { header: 'sourceAddenda', example: 'Payout INV-2026-11-0001', optional: true },
  { header: 'destinationAddenda', example: 'Invoice INV-2026-11-0001', optional: true },
  { header: 'clearing', example: 'auto', optional: true },
];

/** The template's text: the header row and the example line, CSV-quoted, LF line ends. */
function templateText(withOptional: boolean): string {
  const columns = TEMPLATE_COLUMNS.filter((c) => withOptional || !c.optional);
  const line = (cells: string[]) => `${cells.map(quoteCell).join(',')}\n`;
  return line(columns.map((c) => c.header)) + line(columns.map((c) => c.example));
}

export function templateAction(args: TemplateArgs): number {
  process.stdout.write(templateText(args['with-optional']));
  return EXIT.ok;
}
