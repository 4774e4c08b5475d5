import { expect } from 'chai';
import { isPlausibleEmail } from '../../src/input/destination-email.js';
import type { InvalidRow, ValidRow } from '../../src/plan/planner.js';
import { planCsv, UUIDS } from '../helpers.js';

describe('destinationEmail: validation and identity', () => {
  it('a plausible email: one @, no spaces, a dot in the domain, at most 254 characters', () => {
    for (const ok of ['pat@x.com', 'alice.smith+payroll@mail.example.co.uk', `${'a'.repeat(248)}@x.com`]) {
      expect(isPlausibleEmail(ok), ok).to.equal(true);
    }
    for (const bad of [
      'pat',
      'pat@',
      '@x.com',
      'pat@x',
      'pat@@x.com',
      'pat@x@y.com',
      'pat lee@x.com',
      'pat@.com',
      'pat@x.',
      `${'a'.repeat(249)}@x.com`,
    ]) {
      expect(isPlausibleEmail(bad), bad).to.equal(false);
    }
  });

  it('a row needs a destination or a destinationEmail; a bad email is named', async () => {
    const rows = await planCsv(
      ['destination,destinationEmail,amount', ',pat@x.com,10.00', ',pat@x,10.00', ',,10.00', ''].join('\n'),
    );
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'invalid', 'invalid']);
    expect((rows[1] as InvalidRow).errors).to.deep.equal([
      "destinationEmail: 'pat@x' is not an email address (one @, no spaces, a dot in the domain, at most 254 characters)",
    ]);
    expect((rows[2] as InvalidRow).errors).to.deep.equal([
      'destination: missing (give a destination or a destinationEmail)',
    ]);
  });

  it('identity: email: and the lower-cased email in place of the destination, so case and spaces never change the key', async () => {
    const rows = (await planCsv(
      ['destinationEmail,amount', 'Pat@X.com,10.00', ' pat@x.COM ,10.00', 'pat@x.com,11.00', ''].join('\n'),
      { allowDuplicates: true },
    )) as ValidRow[];
    expect(rows[0]!.payment).to.include({ destinationId: 'email:pat@x.com', destinationEmail: 'pat@x.com' });
    // The first two are the same payment (occurrences 1 and 2); the third another.
    const plain = (await planCsv('destinationEmail,amount\npat@x.com,10.00\n')) as ValidRow[];
    expect(rows[0]!.key).to.equal(plain[0]!.key);
    expect(new Set(rows.map((r) => r.key)).size).to.equal(3);
    const repeated = await planCsv('destinationEmail,amount\nPat@X.com,10.00\npat@x.com,10.00\n');
    expect(repeated[1]!.status).to.equal('invalid');
    expect((repeated[1] as InvalidRow).errors[0]).to.contain('identical to row 2');
  });

  it('both columns: the destination is paid and keyed; the email is only carried (never checked)', async () => {
    const both = (await planCsv(`destination,destinationEmail,amount\n${UUIDS.a},not an email,10.00\n`)) as ValidRow[];
    const alone = (await planCsv(`destination,amount\n${UUIDS.a},10.00\n`)) as ValidRow[];
    expect(both[0]!.status).to.equal('valid');
    expect(both[0]!.payment.destinationId).to.equal(UUIDS.a);
    expect(both[0]!.payment.destinationEmail).to.equal(undefined);
    expect(both[0]!.key).to.equal(alone[0]!.key);
  });
});
