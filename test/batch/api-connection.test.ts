import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { pino } from 'pino';
import { accessApi } from '../../src/batch/api-connection.js';
import { apiIdentity } from '../../src/batch/state-dir.js';
import { DwollaApiError } from '../../src/dwolla/errors.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { UsageError } from '../../src/input/usage-error.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';

const log = pino({ level: 'silent' });
const say = () => undefined;

/** What the promise rejected with (fails when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => expect.fail(`expected a rejection, got ${String(v)}`),
    (e: unknown) => e,
  );
}

describe('api-connection', () => {
  const settings = (over: Partial<Parameters<typeof accessApi>[0]> = {}): Parameters<typeof accessApi>[0] => ({
    apiUrl: undefined,
    credentials: undefined,
    timeoutMs: 5000,
    maxAttempts: 3,
    stateDir: process.env.PAYOUTS_HOME as string,
    ...over,
  });

  it("the embedded simulator starts with the settings' simulatorBalance", async () => {
    for (const [simulatorBalance, fits] of [
      ['25.00', false],
      [undefined, true],
    ] as const) {
      const s = settings(simulatorBalance === undefined ? {} : { simulatorBalance });
      const access = await accessApi(s, apiIdentity({ env: 'simulator', apiUrl: undefined }), { say, log });
      try {
        const { client } = await access.session();
        const body = {
          _links: {
            source: { href: `${client.baseUrl}/funding-sources/${SIMULATOR.defaultSourceId}` },
            destination: { href: `${client.baseUrl}/funding-sources/${randomUUID()}` },
          },
          amount: { value: '25.01', currency: 'USD' },
        };
        const created = client.createTransfer(body, randomUUID());
        if (fits) {
          expect((await created).httpStatus).to.equal(201);
        } else {
          const e = await rejection(created);
          expect(e).to.be.instanceOf(DwollaApiError);
          expect((e as DwollaApiError).embedded.map((x) => x.code)).to.deep.equal(['InsufficientFunds']);
        }
      } finally {
        await access.close();
      }
    }
  });

  describe('credentials the API refuses (POST /token 401 invalid_client)', () => {
    let sim: SimulatorHandle;
    beforeEach(async () => {
      sim = await startSimulator();
    });
    afterEach(() => sim.close());

    const secret = 'Wr0ng-S3cret-never-shown';

    async function refusal(stateDir = process.env.PAYOUTS_HOME as string): Promise<UsageError> {
      const s = settings({ apiUrl: sim.url, credentials: { key: SIMULATOR.key, secret }, stateDir });
      const e = await rejection(accessApi(s, apiIdentity({ env: 'simulator', apiUrl: sim.url }), { say, log }));
      expect(e).to.be.instanceOf(UsageError);
      return e as UsageError;
    }

    it('are a usage error naming DWOLLA_KEY/DWOLLA_SECRET, never their values, tried once', async () => {
      const e = await refusal();
      expect(e.message).to.equal(
        `the API (${sim.url}) refused DWOLLA_KEY/DWOLLA_SECRET (HTTP 401 invalid_client on POST /token): set the key and secret of an application of this API in the environment`,
      );
      expect(e.message).not.to.contain(secret);
      expect(e.message).not.to.contain(SIMULATOR.key);
      expect(sim.stats().tokensIssued).to.equal(0);
      expect(sim.stats().requests, 'a refusal is not retried').to.equal(1);
    });

    it('when the account this API answered last is known: it reports from it, and only sending is refused', async () => {
      const stateDir = process.env.PAYOUTS_HOME as string;
      const good = settings({ apiUrl: sim.url, credentials: { key: SIMULATOR.key, secret: SIMULATOR.secret } });
      const known = await accessApi(good, apiIdentity({ env: 'simulator', apiUrl: sim.url }), { say, log });
      expect(known.accountId).to.equal(SIMULATOR.accountId);
      await known.close();
      const said: string[] = [];
      const bad = settings({ apiUrl: sim.url, credentials: { key: SIMULATOR.key, secret }, stateDir });
      const access = await accessApi(bad, apiIdentity({ env: 'simulator', apiUrl: sim.url }), {
        say: (l: string) => said.push(l),
        log,
      });
      try {
        expect(access.accountId).to.equal(SIMULATOR.accountId);
        expect(said.join('\n')).to.contain('refused DWOLLA_KEY/DWOLLA_SECRET').and.not.contain(secret);
        const e = await rejection(access.session());
        expect(e).to.be.instanceOf(UsageError);
      } finally {
        await access.close();
      }
    });
  });
});
