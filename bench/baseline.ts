/**
 * The baseline a dry run is measured against: the same file streamed through csv-parse into
 * csv-stringify and to disk, and nothing else. Usage: node baseline.js IN OUT
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  throw new Error('usage: baseline IN OUT');
}
await pipeline(createReadStream(input), parse(), stringify(), createWriteStream(output));
