import { expect } from 'chai';
import fc from 'fast-check';
import { parseCustomerRef, parseFundingSourceRef } from '../../src/input/dwolla-ids.js';
import { UUIDS } from '../helpers.js';

const BARE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

describe('dwolla-ids', () => {
  it('reads a bare UUID in any case, and a funding-source or customer URL, as the lower-case UUID', () => {
    expect(parseFundingSourceRef(UUIDS.a.toUpperCase())).to.equal(UUIDS.a);
    expect(parseFundingSourceRef(`https://api.dwolla.com/funding-sources/${UUIDS.a}`)).to.equal(UUIDS.a);
    expect(parseCustomerRef(`https://api-sandbox.dwolla.com/customers/${UUIDS.customer}/`)).to.equal(UUIDS.customer);
    expect(parseFundingSourceRef(`https://api.dwolla.com/customers/${UUIDS.a}`)).to.equal(undefined);
    for (const bad of ['', `${UUIDS.a} `, `{${UUIDS.a}}`, UUIDS.a.replaceAll('-', ''), `${UUIDS.a.slice(0, 35)}g`]) {
      expect(parseFundingSourceRef(bad), bad).to.equal(undefined);
    }
  });

  it('takes exactly the texts of the form 8-4-4-4-12 hex digits as bare UUIDs', () => {
    const nearUuid = fc
      .array(fc.constantFrom('0', '9', 'a', 'f', 'A', 'F', 'g', 'G', '-', '/', ' ', 'é'), {
        minLength: 35,
        maxLength: 37,
      })
      .map((chars) => chars.join(''));
    const shaped = fc
      .array(fc.constantFrom('0', '9', 'a', 'f', 'A', 'F', 'g', '-', 'z'), { minLength: 32, maxLength: 32 })
      .map(
        (c) =>
          `${c.slice(0, 8).join('')}-${c.slice(8, 12).join('')}-${c.slice(12, 16).join('')}-${c.slice(16, 20).join('')}-${c.slice(20).join('')}`,
      );
    fc.assert(
      fc.property(fc.oneof(nearUuid, shaped), (text) => {
        expect(parseFundingSourceRef(text), text).to.equal(BARE.test(text) ? text.toLowerCase() : undefined);
      }),
    );
  });
});
