import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { expect } from 'chai';
import { simulatorOptions } from '../../../src/cli/commands/simulator.js';
import { SIMULATOR } from '../../../src/dwolla/types.js';
import { specialSourcesHelp } from '../../../src/simulator/funding-sources.js';
import { SPECIAL_FUNDING_SOURCES } from '../../../src/simulator/index.js';
import { basic, call, Session, transferBody } from '../../simulator/helpers.js';

/** Runs `simulatorAction(args)` in a child process, as `payouts simulator` would. */
function startCommand(args: Record<string, unknown>): ChildProcessWithoutNullStreams {
  const script = [
    "import { simulatorAction } from './src/cli/actions/simulator.ts';",
    `process.exitCode = await simulatorAction(${JSON.stringify(args)});`,
  ].join('\n');
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd() });
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

  it('accepts any non-empty credentials', async () => {
    const child = startCommand({ port: 0, host: '127.0.0.1' });
    const exited = exitOf(child);
    const out = await outputUntil(child, /Stop with Ctrl\+C/);
    const url = /listening on (\S+)/.exec(out)?.[1] as string;
    const r = await call(`${url}/token`, {
      method: 'POST',
      headers: { Authorization: basic('someone', 'else'), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(r.status).to.equal(200);
    child.kill('SIGINT');
    expect((await exited).code).to.equal(0);
  });
});
