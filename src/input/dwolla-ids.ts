/**
 * References to Dwolla resources as they appear in a payee file: a URL ending in
 * `/funding-sources/{uuid}` (or `/customers/{uuid}`) or a bare UUID. Pure parsing, no I/O.
 */

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const UUID_LENGTH = 36;
const HYPHEN = 0x2d;
const NOT_UUID = 0;
const LOWER_UUID = 1;
const UPPER_UUID = 2;

function isHexDigit(c: number): boolean {
  const lower = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66);
}

/**
 * Whether `text` is a bare UUID (8-4-4-4-12 hex digits), read character by character (one per
 * row): NOT_UUID, LOWER_UUID, or UPPER_UUID when it has upper-case digits.
 */
function bareUuid(text: string): typeof NOT_UUID | typeof LOWER_UUID | typeof UPPER_UUID {
  if (text.length !== UUID_LENGTH) {
    return NOT_UUID;
  }
  let upper = false;
  for (let i = 0; i < UUID_LENGTH; i++) {
    const c = text.charCodeAt(i);
    const ok = i === 8 || i === 13 || i === 18 || i === 23 ? c === HYPHEN : isHexDigit(c);
    if (!ok) {
      return NOT_UUID;
    }
    upper ||= c >= 0x41 && c <= 0x46;
  }
  return upper ? UPPER_UUID : LOWER_UUID;
}

function refParser(kind: 'funding-sources' | 'customers') {
  const url = new RegExp(`^https?://[^/\\s?#]+(?:/[^\\s?#]*)?/${kind}/(${UUID})/?$`);
  return (text: string): string | undefined => {
    const bare = bareUuid(text);
    if (bare !== NOT_UUID) {
      return bare === UPPER_UUID ? text.toLowerCase() : text;
    }
    const m = url.exec(text);
    return m ? m[1]!.toLowerCase() : undefined;
  };
}

/** The lower-case UUID of a funding-source URL or bare UUID; undefined when it is neither. */
export const parseFundingSourceRef = refParser('funding-sources');

/** The lower-case UUID of a customer URL or bare UUID; undefined when it is neither. */
export const parseCustomerRef = refParser('customers');
