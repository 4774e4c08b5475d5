/** Everything one simulator instance knows, and the counters its stats are made of. */
import type { ServerResponse } from 'node:http';
import { Balances } from './balances.js';
import { SimulatedClock } from './clock.js';
import { CustomerDirectory } from './customers.js';
import { type FaultKind, type FaultOptions, Faults } from './faults.js';
import { type EmailBankKind, emailBankId, findFundingSource, type SimFundingSource } from './funding-sources.js';
import { Sleeper } from './http.js';
import { IdempotencyKeys } from './idempotency.js';
import { MassPaymentStore } from './mass-payments.js';
import { TransferStore } from './store.js';
import { AccessTokens } from './tokens.js';

export interface SimulatorStats {
  /** Requests to Dwolla endpoints (admin endpoints excluded). */
  requests: number;
  tokensIssued: number;
  /** POST /transfers requests received, whatever their answer. */
  createRequests: number;
  transfersCreated: number;
  /** Most POST /transfers requests in flight at once. */
  maxInFlight: number;
  /** Most POST /transfers requests from one balance source in flight at once (over 1: some got 429). */
  maxInFlightPerBalanceSource: number;
  /** Created transfers whose correlationId an earlier created transfer already had. */
  duplicatesByCorrelationId: number;
  /** 201 answers that returned an earlier transfer for a repeated Idempotency-Key. */
  idempotentReplays: number;
  /** 409 answers: the key's first request was still being processed. */
  idempotencyConflicts: number;
  /** 429 answers for a balance source that already had a transfer in flight. */
  concurrencyRejections: number;
  /** 400 answers to POST /transfers. */
  validationFailures: number;
  /** 400 InsufficientFunds answers (also counted in validationFailures): a balance held less than asked. */
  insufficientFunds: number;
  /** GET /customers requests (OpenAPI listAndSearchCustomers), e.g. searches by email. */
  customerSearches: number;
  /** GET /customers/{id}/funding-sources requests (OpenAPI listCustomerFundingSources). */
  customerFundingSourceLists: number;
  /** How many times each injected fault struck. */
  injected: Record<FaultKind, number>;
  /** POST /mass-payments (the faults above count its strikes too). */
  massPayments: MassPaymentStats;
}

interface MassPaymentStats {
  /** POST /mass-payments requests received, whatever their answer. */
  requests: number;
  created: number;
  /** 201 answers that returned an earlier mass payment for a repeated Idempotency-Key. */
  idempotentReplays: number;
  /** 409 answers: the key's first request was still being processed. */
  idempotencyConflicts: number;
  /** 400 answers. */
  validationFailures: number;
}

export class SimulatorState {
  readonly clock: SimulatedClock;
  readonly faults: Faults;
  readonly transfers: TransferStore;
  readonly keys: IdempotencyKeys;
  readonly massPayments: MassPaymentStore;
  /** The Idempotency-Keys of POST /mass-payments. */
  readonly massPaymentKeys: IdempotencyKeys;
  readonly tokens = new AccessTokens();
  /** The customers GET /customers has shown (customers.ts). */
  readonly customers = new CustomerDirectory();
  /** The balance funding sources' amounts. */
  readonly balances: Balances;
  /** The client credentials `POST /token` accepts. */
  readonly credentials: { key: string; secret: string };
  readonly sleeper = new Sleeper();
  readonly counters: Omit<
    SimulatorStats,
    'maxInFlight' | 'maxInFlightPerBalanceSource' | 'duplicatesByCorrelationId' | 'transfersCreated'
  > = {
    requests: 0,
    tokensIssued: 0,
    createRequests: 0,
    idempotentReplays: 0,
    idempotencyConflicts: 0,
    concurrencyRejections: 0,
    validationFailures: 0,
    insufficientFunds: 0,
    customerSearches: 0,
    customerFundingSourceLists: 0,
    injected: { rate429: 0, error5xxBefore: 0, error5xxAfter: 0, dropAfter: 0, slow: 0 },
    massPayments: { requests: 0, created: 0, idempotentReplays: 0, idempotencyConflicts: 0, validationFailures: 0 },
  };

  private inFlight = 0;
  private maxInFlight = 0;
  private readonly arrivalsBySource = new Map<string, number>();
  private maxPerBalanceSource = 0;
  /** Balance sources with a transfer being processed: another one is answered 429. */
  private readonly busySources = new Set<string>();

  constructor(opts: {
    startTime?: Date;
    /** Simulated ms after which an eligible leg settles by itself; undefined: only simulations settle (Dwolla's sandbox). */
    processingMs: number | undefined;
    /** Simulated ms a mass payment stays pending, then processing, before it moves on by itself. */
    massPaymentStepMs: number;
    faults: FaultOptions;
    /** Each balance funding source's starting cents, by id. */
    startingBalances: ReadonlyMap<string, bigint>;
    credentials: { key: string; secret: string };
  }) {
    this.clock = new SimulatedClock(opts.startTime);
    this.faults = new Faults(opts.faults);
    // Settling gives a cancelled or failed balance-sourced transfer's amount back, and credits the balance a leg or fee reaches.
    this.transfers = new TransferStore(opts.processingMs, {
      credit: (balanceId, cents, atMs) => this.balances.credit(balanceId, cents, atMs),
    });
    this.keys = new IdempotencyKeys(this.transfers);
    // A mass payment's item is taken as POST /transfers would take it: its amount from a balance, then a transfer.
    this.massPayments = new MassPaymentStore(opts.massPaymentStepMs, {
      lookup: (id) => this.fundingSource(id),
      debit: (balanceId, cents, atMs) => this.balances.debit(balanceId, cents, atMs),
      createTransfer: (valid, atMs) => this.transfers.create(valid, atMs, undefined),
    });
    this.massPaymentKeys = new IdempotencyKeys(this.massPayments);
    this.balances = new Balances(opts.startingBalances, this.clock.startMs);
    this.credentials = { ...opts.credentials };
  }

  /** Whether `POST /token` may issue a token for this client (OpenAPI `createApplicationAccessToken`: 401 otherwise). */
  acceptsClient(key: string, secret: string): boolean {
    return key === this.credentials.key && secret === this.credentials.secret;
  }

  /** Moves the mass payments on by the simulated clock (their transfers then settle as any transfer). */
  catchUp(): void {
    this.massPayments.sync(this.clock.nowMs());
  }

  /**
   * One `POST /sandbox-simulations` (OpenAPI simulateBankTransferProcessing): the pending transfer
   * legs ready now are processed (settlement.ts), then every pending or processing mass payment
   * moves a step (the transfers its items create wait for the next simulation, as a chain's leg 2
   * does). Returns how many legs it processed or failed.
   */
  simulate(): number {
    const nowMs = this.clock.nowMs();
    this.massPayments.sync(nowMs);
    const legs = this.transfers.simulate(nowMs);
    this.massPayments.simulate(nowMs);
    return legs;
  }

  fundingSource(id: string): SimFundingSource | undefined {
    const nowMs = this.clock.nowMs();
    return findFundingSource(id, (fsId) => this.transfers.removedByReturn(fsId, nowMs));
  }

  /** A bank of a customer found by email, as it is now (funding-sources.ts EMAIL_BANKS). */
  emailBank(customerId: string, kind: EmailBankKind): SimFundingSource {
    const fs = this.fundingSource(emailBankId(customerId, kind));
    if (!fs) {
      throw new Error(`${customerId} is not a customer id`);
    }
    return fs;
  }

  /** Counts a POST /transfers as in flight until its answer is sent or its connection closes. */
  trackCreateRequest(res: ServerResponse): void {
    this.counters.createRequests += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => {
      this.inFlight -= 1;
    });
  }

  /** Counts a POST /transfers naming a balance source, for maxInFlightPerBalanceSource. */
  trackBalanceArrival(sourceId: string, res: ServerResponse): void {
    const n = (this.arrivalsBySource.get(sourceId) ?? 0) + 1;
    this.arrivalsBySource.set(sourceId, n);
    this.maxPerBalanceSource = Math.max(this.maxPerBalanceSource, n);
    res.once('close', () => {
      const left = (this.arrivalsBySource.get(sourceId) ?? 1) - 1;
      if (left === 0) {
        this.arrivalsBySource.delete(sourceId);
      } else {
        this.arrivalsBySource.set(sourceId, left);
      }
    });
  }

  /** Marks the balance source busy until this answer is over; false when it already is. */
  occupyBalanceSource(sourceId: string, res: ServerResponse): boolean {
    if (this.busySources.has(sourceId)) {
      return false;
    }
    this.busySources.add(sourceId);
    res.once('close', () => this.busySources.delete(sourceId));
    return true;
  }

  stats(): SimulatorStats {
    return {
      ...this.counters,
      injected: { ...this.counters.injected },
      massPayments: { ...this.counters.massPayments },
      transfersCreated: this.transfers.createdCount,
      maxInFlight: this.maxInFlight,
      maxInFlightPerBalanceSource: this.maxPerBalanceSource,
      duplicatesByCorrelationId: this.transfers.duplicatesByCorrelationId,
    };
  }
}
