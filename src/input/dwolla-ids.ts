/**
 * References to Dwolla resources as they appear in a payee file: a URL ending in
 * `/funding-sources/{uuid}` (or `/customers/{uuid}`) or a bare UUID. Pure parsing, no I/O.
 */

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const BARE = new RegExp(`^${UUID}$`);

function refParser(kind: 'funding-sources' | 'customers') {
  const url = new RegExp(`^https?://[^/\\s?#]+(?:/[^\\s?#]*)?/${kind}/(${UUID})/?$`);
  return (text: string): string | undefined => {
    if (BARE.test(text)) {
      return text.toLowerCase();
    }
    const m = url.exec(text);
    return m ? m[1]!.toLowerCase() : undefined;
  };
}

/** The lower-case UUID of a funding-source URL or bare UUID; undefined when it is neither. */
export const parseFundingSourceRef = refParser('funding-sources');

/** The lower-case UUID of a customer URL or bare UUID; undefined when it is neither. */
export const parseCustomerRef = refParser('customers');
