import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { expect } from 'chai';
import { simulatorOptions } from '../../../src/cli/commands/simulator.js';
import { SIMULATOR } from '../../../src/dwolla/types.js';
import { specialSourcesHelp } from '../../../src/simulator/funding-sources.js';
import { SPECIAL_FUNDING_SOURCES } from '../../../src/simulator/index.js';
import { basic, call, Session, transferBody } from '../../simulator/helpers.js';

/**
 * Runs `simulatorAction(args)` in a child process, as `payouts simulator` would, with `env` over an
 * environment without DWOLLA_KEY, DWOLLA_SECRET and PAYOUTS_SIMULATOR_BALANCE.
 */
function startCommand(args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  const script = [
    "import { simulatorAction } from './src/cli/actions/simulator.ts';",
    `process.exitCode = await simulatorAction(${JSON.stringify(args)});`,
  ].join('\n');
  const { DWOLLA_KEY: _k, DWOLLA_SECRET: _s, PAYOUTS_SIMULATOR_BALANCE: _b, ...inherited } = process.env;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    env: { ...inherited, ...env },
  });
}

/** `POST /token` with this pair by Basic auth. */
function token(url: string, key: string, secret: string) {
  return call(`${url}/token`, {
    method: 'POST',
    headers: { Authorization: basic(key, secret), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
}

/** Starts the command, waits until it serves, and returns its URL, what it printed, and how to stop it. */
async function serve(args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const child = startCommand({ port: 0, host: '127.0.0.1', ...args }, env);
  const exited = exitOf(child);
  const out = await outputUntil(child, /Stop with Ctrl\+C/);
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] as string;
  return {
    url,
    out,
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

async function balanceAt(url: string): Promise<string> {
  const api = await Session.open(url);
  const r = await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}/balance`);
  expect(r.status).to.equal(200);
  return r.body.balance.value as string;
}

function outputUntil(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        resolve(out);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing ${pattern}: ${out}`)));
  });
}

function exitOf(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('simulator: the `payouts simulator` command', () => {
  it('prints its URL, credentials, default source and special sources, serves, and exits 0 on SIGTERM', async () => {
    const child = startCommand({ port: 0, host: '127.0.0.1', 'fail-5xx-after': 1, seed: 1 });
    const exited = exitOf(child);
    const out = await outputUntil(child, /Stop with Ctrl\+C/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url).to.be.a('string');
    expect(out).to.contain(`DWOLLA_KEY=${SIMULATOR.key}`);
    expect(out).to.contain(`DWOLLA_SECRET=${SIMULATOR.secret}`);
    expect(out).to.contain(`${url}/funding-sources/${SIMULATOR.defaultSourceId}`);
    for (const s of SPECIAL_FUNDING_SOURCES) {
      expect(out).to.contain(s.id);
    }
    expect(out).to.contain('error5xxAfterRate=1');

    const api = await Session.open(url as string);
    expect((await api.createTransfer(transferBody(url as string))).status).to.equal(500);
    const stats = await call(`${url}/__simulator/stats`);
    expect(stats.body.transfersCreated).to.equal(1);

    child.kill('SIGTERM');
    const { code, stdout } = await exited;
    expect(code).to.equal(0);
    expect(stdout).to.contain('Simulator stopped (SIGTERM)');
  });

  it('refuses out-of-range options with exit code 2', async () => {
    const { code, stderr } = await exitOf(startCommand({ port: 0, host: '127.0.0.1', 'drop-after': 3 }));
    expect(code).to.equal(2);
    expect(stderr).to.contain('dropAfterRate must be within 0..1');
  });

  it('declares every option with a description, and the port defaults to 8787', () => {
    expect(Object.keys(simulatorOptions)).to.have.members([
      'port',
      'host',
      'latency',
      'jitter',
      'fail-5xx-before',
      'fail-5xx-after',
      'drop-after',
      'rate-429',
      'slow-rate',
      'slow-ms',
      'token-lifetime',
      'seed',
      'mass-payment-step',
      'balance',
    ]);
    for (const option of Object.values(simulatorOptions)) {
      expect(option.describe).to.be.a('string').that.is.not.empty;
    }
    expect(simulatorOptions.port.default).to.equal(8787);
    expect(simulatorOptions.host.default).to.equal('127.0.0.1');
  });

  it('the help text lists every special funding source', () => {
    for (const s of SPECIAL_FUNDING_SOURCES) {
      expect(specialSourcesHelp).to.contain(`${s.id}  ${s.behaviour}`);
    }
  });

  it('accepts only the published pair by default; any other key or secret gets 401 invalid_client', async () => {
    const { url, out, stop } = await serve({});
    expect(out).to.contain('POST /token accepts only this pair');
    expect((await token(url, SIMULATOR.key, SIMULATOR.secret)).status).to.equal(200);
    for (const [key, secret] of [
      ['someone', 'else'],
      [SIMULATOR.key, 'else'],
      ['someone', SIMULATOR.secret],
    ] as const) {
      const r = await token(url, key, secret);
      expect(r.status).to.equal(401);
      expect(r.body.error).to.equal('invalid_client');
    }
    expect((await stop()).code).to.equal(0);
  });

  it('accepts DWOLLA_KEY/DWOLLA_SECRET when both are set, prints the key and never the secret', async () => {
    const secret = 'env-secret-Q7w9-never-printed';
    const { url, out, stop } = await serve({}, { DWOLLA_KEY: 'env-key', DWOLLA_SECRET: secret });
    expect(out).to.contain('DWOLLA_KEY=env-key');
    expect(out).not.to.contain(secret);
    expect(out).not.to.contain(`DWOLLA_SECRET=${SIMULATOR.secret}`);
    expect((await token(url, 'env-key', secret)).status).to.equal(200);
    expect((await token(url, SIMULATOR.key, SIMULATOR.secret)).status).to.equal(401);
    const { code, stdout, stderr } = await stop();
    expect(code).to.equal(0);
    expect(stdout + stderr).not.to.contain(secret);
  });

  it('only one of DWOLLA_KEY/DWOLLA_SECRET set: the published pair is accepted', async () => {
    const { url, stop } = await serve({}, { DWOLLA_KEY: 'env-key' });
    expect((await token(url, SIMULATOR.key, SIMULATOR.secret)).status).to.equal(200);
    expect((await token(url, 'env-key', SIMULATOR.secret)).status).to.equal(401);
    expect((await stop()).code).to.equal(0);
  });

  it('--balance, else PAYOUTS_SIMULATOR_BALANCE, sets the default source balance (the flag wins); it is printed', async () => {
    const byDefault = await serve({});
    expect(await balanceAt(byDefault.url)).to.equal('1000000.00');
    expect(byDefault.out).to.contain('Default source balance: 1000000.00 USD (default;');
    await byDefault.stop();

    const byEnv = await serve({}, { PAYOUTS_SIMULATOR_BALANCE: '1234.5' });
    expect(await balanceAt(byEnv.url)).to.equal('1234.50');
    expect(byEnv.out).to.contain('Default source balance: 1234.50 USD (PAYOUTS_SIMULATOR_BALANCE;');
    await byEnv.stop();

    const byFlag = await serve({ balance: '250000.00' }, { PAYOUTS_SIMULATOR_BALANCE: '1234.50' });
    expect(await balanceAt(byFlag.url)).to.equal('250000.00');
    expect(byFlag.out).to.contain('Default source balance: 250000.00 USD (--balance;');
    await byFlag.stop();
  });

  it('an invalid --balance or PAYOUTS_SIMULATOR_BALANCE exits 2 naming it', async () => {
    const flag = await exitOf(startCommand({ port: 0, host: '127.0.0.1', balance: '1,000.00' }));
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.contain("--balance must be an amount of US dollars such as 250000.00, got '1,000.00'");
    const env = await exitOf(startCommand({ port: 0, host: '127.0.0.1' }, { PAYOUTS_SIMULATOR_BALANCE: '-5' }));
    expect(env.code).to.equal(2);
    expect(env.stderr).to.contain(
      "PAYOUTS_SIMULATOR_BALANCE must be an amount of US dollars such as 250000.00, got '-5'",
    );
  });
});
