import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { findOpenApiSpec, type Reply, Session, specErrorExample, transferBody, until } from './helpers.js';

describe('simulator: concurrency and injected faults', () => {
  let sim: SimulatorHandle;
  let api: Session;
  beforeEach(async () => {
    sim = await startSimulator();
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  const countBy = (replies: Reply[], status: number) => replies.filter((r) => r.status === status).length;

  describe('one transfer at a time per balance source', () => {
    it('concurrent POSTs from one balance source: one is created, the others get 429 TooManyRequests', async () => {
      sim.setFaults({ latencyMs: 1000 });
      const replies = await Promise.all(Array.from({ length: 3 }, () => api.createTransfer(transferBody(sim.url))));
      expect(countBy(replies, 201)).to.equal(1);
      expect(countBy(replies, 429)).to.equal(2);
      const rejected = replies.find((r) => r.status === 429);
      expect(rejected?.body.code).to.equal('TooManyRequests');
      expect(sim.transfers()).to.have.length(1);
      expect(sim.stats().maxInFlightPerBalanceSource).to.equal(3);
      expect(sim.stats().concurrencyRejections).to.equal(2);
    });

    it('the 429 body is the one of Dwolla’s spec (TooManyRequestsErrorError)', async function () {
      const path = findOpenApiSpec();
      if (!path) {
        this.skip();
      }
      sim.setFaults({ latencyMs: 1000 });
      const replies = await Promise.all([
        api.createTransfer(transferBody(sim.url)),
        api.createTransfer(transferBody(sim.url)),
      ]);
      const example = specErrorExample(readFileSync(path as string, 'utf8'), 'TooManyRequestsErrorError');
      expect(replies.find((r) => r.status === 429)?.body).to.deep.equal({
        code: example.code,
        message: example.message,
      });
    });

    it('sequential POSTs from one balance source are all created; maxInFlightPerBalanceSource stays 1', async () => {
      for (let i = 0; i < 3; i += 1) {
        expect((await api.createTransfer(transferBody(sim.url))).status).to.equal(201);
      }
      expect(sim.stats().maxInFlightPerBalanceSource).to.equal(1);
      expect(sim.stats().concurrencyRejections).to.equal(0);
    });

    it('bank sources and different balance sources may be concurrent', async () => {
      sim.setFaults({ latencyMs: 500 });
      const replies = await Promise.all([
        api.createTransfer(transferBody(sim.url)),
        api.createTransfer(transferBody(sim.url, { sourceId: SPECIAL_IDS.customerBalance })),
        api.createTransfer(transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank })),
        api.createTransfer(transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank })),
      ]);
      expect(replies.map((r) => r.status)).to.deep.equal([201, 201, 201, 201]);
      expect(sim.stats().maxInFlight).to.equal(4);
      expect(sim.stats().maxInFlightPerBalanceSource).to.equal(1);
    });
  });

  describe('faults', () => {
    it('error5xxAfterRate: the transfer is created, its key remembered, and 500 ServerError answered', async () => {
      sim.setFaults({ error5xxAfterRate: 1 });
      const key = randomUUID();
      const r = await api.createTransfer(transferBody(sim.url), key);
      expect(r.status).to.equal(500);
      expect(r.body.code).to.equal('ServerError');
      expect(sim.transfers()).to.have.length(1);
      sim.setFaults({});
      const retry = await api.createTransfer(transferBody(sim.url), key);
      expect(retry.status).to.equal(201);
      expect(retry.headers.get('location')).to.equal(`${sim.url}/transfers/${sim.transfers()[0]?.id}`);
      expect(sim.transfers()).to.have.length(1);
    });

    it('dropAfterRate: the transfer is created and the connection dropped unanswered', async () => {
      sim.setFaults({ dropAfterRate: 1 });
      const key = randomUUID();
      let failure: unknown;
      try {
        await api.createTransfer(transferBody(sim.url), key);
      } catch (e) {
        failure = e;
      }
      expect(failure).to.be.instanceOf(TypeError); // fetch failed: socket closed
      expect(sim.transfers()).to.have.length(1);
      expect(sim.stats().injected.dropAfter).to.equal(1);
      sim.setFaults({});
      expect((await api.createTransfer(transferBody(sim.url), key)).status).to.equal(201);
      expect(sim.transfers()).to.have.length(1);
    });

    it('error5xxBeforeRate: 500 or 503 and nothing is created, nor its key remembered', async () => {
      sim.setFaults({ error5xxBeforeRate: 1, seed: 7 });
      const key = randomUUID();
      const replies = [];
      for (let i = 0; i < 6; i += 1) {
        replies.push(await api.createTransfer(transferBody(sim.url), key));
      }
      for (const r of replies) {
        expect([500, 503]).to.include(r.status);
        expect(r.body.code).to.equal('ServerError');
      }
      expect(sim.transfers()).to.have.length(0);
      sim.setFaults({});
      expect((await api.createTransfer(transferBody(sim.url), key)).status).to.equal(201);
      expect(sim.transfers()).to.have.length(1);
    });

    it('rate429: a 429 storm creates nothing', async () => {
      sim.setFaults({ rate429: 1 });
      const r = await api.createTransfer(transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank }));
      expect(r.status).to.equal(429);
      expect(r.body.code).to.equal('TooManyRequests');
      expect(sim.transfers()).to.have.length(0);
      expect(sim.stats().injected.rate429).to.equal(1);
    });

    it('slowRate: the answer comes after the client gave up, but the transfer is created', async () => {
      sim.setFaults({ slowRate: 1, slowMs: 30_000 });
      const key = randomUUID();
      let failure: unknown;
      try {
        await api.post('/transfers', transferBody(sim.url), { 'Idempotency-Key': key }, AbortSignal.timeout(300));
      } catch (e) {
        failure = e;
      }
      expect((failure as Error | undefined)?.name).to.equal('TimeoutError');
      expect(sim.transfers()).to.have.length(1);
      sim.setFaults({});
      const retry = await api.createTransfer(transferBody(sim.url), key);
      expect(retry.status).to.equal(201);
      expect(sim.transfers()).to.have.length(1);
    });

    it('a seed makes the choice of faults repeatable', async () => {
      const outcomes = async (seed: number): Promise<number[]> => {
        sim.setFaults({ seed, error5xxBeforeRate: 0.5 });
        const statuses: number[] = [];
        for (let i = 0; i < 12; i += 1) {
          statuses.push(
            (await api.createTransfer(transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank }))).status,
          );
        }
        return statuses;
      };
      const first = await outcomes(42);
      expect(await outcomes(42)).to.deep.equal(first);
      expect(first).to.include(201);
      expect(first.some((s) => s >= 500)).to.equal(true);
    });

    it('faults apply to POST /transfers only: reads still answer', async () => {
      sim.setFaults({ error5xxBeforeRate: 1, dropAfterRate: 1, rate429: 1 });
      expect((await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}`)).status).to.equal(200);
    });

    it('setFaults refuses unknown options and out-of-range values', () => {
      expect(() => sim.setFaults({ error5xxAfterRate: 2 })).to.throw(RangeError);
      expect(() => sim.setFaults({ latencyMs: -1 })).to.throw(RangeError);
      expect(() => sim.setFaults({ errorRate: 0.5 } as never)).to.throw(RangeError, /unknown fault option/);
    });

    it('the simulator closes promptly with answers still pending', async () => {
      sim.setFaults({ slowRate: 1, slowMs: 600_000 });
      const pending = api.createTransfer(transferBody(sim.url)).catch((e: unknown) => e);
      await until(() => sim.stats().createRequests === 1);
      await sim.close();
      expect(await pending).to.be.instanceOf(TypeError);
      sim = await startSimulator(); // for afterEach
    });
  });
});
