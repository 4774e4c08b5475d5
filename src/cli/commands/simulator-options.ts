/**
 * The options of `payouts simulator`, apart from the command so that the CLI can describe them
 * without loading the simulator.
 */
import type { Options } from 'yargs';
import { SPECIAL_FUNDING_SOURCES } from '../../simulator/funding-sources.js';

export const simulatorOptions = {
  port: { type: 'number', default: 8787, describe: 'port to listen on (0: any free port)' },
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on' },
  latency: { type: 'number', describe: 'ms added to every answer' },
  jitter: { type: 'number', describe: 'random 0..N ms added on top of --latency' },
  'fail-5xx-before': { type: 'number', describe: 'rate 0..1: POST /transfers answers 500/503 and creates nothing' },
  'fail-5xx-after': { type: 'number', describe: 'rate 0..1: the transfer is created, then 500 is answered' },
  'drop-after': {
    type: 'number',
    describe: 'rate 0..1: the transfer is created, then the connection is dropped unanswered',
  },
  'rate-429': {
    type: 'number',
    describe: 'rate 0..1: POST /transfers answers 429 TooManyRequests and creates nothing',
  },
  'slow-rate': { type: 'number', describe: 'rate 0..1: the transfer is created, its answer delayed by --slow-ms' },
  'slow-ms': { type: 'number', describe: 'delay of a slow answer, ms (default 60000)' },
  'token-lifetime': { type: 'number', describe: 'expires_in of access tokens, seconds (default 3600)' },
  seed: { type: 'number', describe: 'seed for a repeatable choice of faults' },
} as const satisfies Record<string, Options>;

export interface SimulatorCommandArgs {
  port: number;
  host: string;
  latency?: number;
  jitter?: number;
  'fail-5xx-before'?: number;
  'fail-5xx-after'?: number;
  'drop-after'?: number;
  'rate-429'?: number;
  'slow-rate'?: number;
  'slow-ms'?: number;
  'token-lifetime'?: number;
  seed?: number;
}

export const specialSourcesHelp = [
  'Simulator funding sources (any other UUID is a verified payee bank):',
  ...SPECIAL_FUNDING_SOURCES.map((s) => `  ${s.id}  ${s.behaviour}`),
].join('\n');
