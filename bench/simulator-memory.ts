/**
 * The standalone simulator's memory per transfer it holds (issue 10, item 4: 1,000,000 created
 * transfers under 600 MB RSS). For each count, a fresh `payouts simulator` child is started, that
 * many transfers are created through `POST /transfers` (32 in flight over keep-alive HTTP), and the
 * child's resident set size is read from /proc/<pid>/status: VmRSS once they are all created, and
 * VmHWM, its peak. Printed, never asserted.
 *
 * The mix, like a real run's: each transfer has an Idempotency-Key and a correlationId (both
 * UUIDs, as `payouts run` sends them) and pays a new payee bank. One in 10 comes from the
 * account's balance (one at a time: Dwolla answers 429 to a second one in flight from a balance);
 * the others come from one bank (a chain: leg 1 and leg 2), and one in 3 of those carries a fee
 * charged to the source's customer and metadata, one in 7 asks for Same Day clearing, one in 11
 * has a destination addenda.
 *
 * Called by bench/run.ts; or alone: `node dist/bench/simulator-memory.js 100000 1000000`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HAL_JSON, SIMULATOR } from '../src/dwolla/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '..', 'src', 'cli', 'main.js');
const CONCURRENCY = 32;
/** Enough for every balance-sourced transfer of a million (one in 10, at most $500.00 each). */
const BALANCE = '1000000000.00';

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

/** A tiny keep-alive HTTP client of one simulator. */
class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY + 1 });
  token = '';

  constructor(readonly base: string) {}

  send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
    return new Promise((done, fail) => {
      const req = request(`${this.base}${path}`, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const location = res.headers.location;
          done({ status: res.statusCode ?? 0, location, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(body);
    });
  }

  async authenticate(): Promise<void> {
    const basic = Buffer.from(`${SIMULATOR.key}:${SIMULATOR.secret}`).toString('base64');
    const a = await this.send(
      'POST',
      '/token',
      { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      'grant_type=client_credentials',
    );
    this.token = (JSON.parse(a.body) as { access_token: string }).access_token;
  }

  dwolla(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer> {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: HAL_JSON, 'Content-Type': HAL_JSON, ...extra };
    return this.send(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Starts `payouts simulator` in a child process; resolves with it and its URL. */
async function startSimulatorChild(): Promise<{ url: string; child: ChildProcess }> {
  const args = [CLI, 'simulator', '--port', '0', '--balance', BALANCE, '--token-lifetime', '86400'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((found, fail) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(seen);
      if (m?.[1]) {
        found(m[1]);
      }
    });
    child.on('exit', (code) => fail(new Error(`simulator exited ${code}`)));
  });
  child.stdout?.resume();
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
async function rssOf(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kib('VmRSS') / 1024, peakMb: kib('VmHWM') / 1024 };
}

function dollars(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** The body of transfer i (see the file's comment for the mix). */
function transferBody(c: Client, i: number, source: { id: string; customer: string }, correlationId: string) {
  const fs = (id: string) => ({ href: `${c.base}/funding-sources/${id}` });
  const fromBalance = i % 10 === 0;
  const body: Record<string, unknown> = {
    _links: { source: fs(fromBalance ? SIMULATOR.defaultSourceId : source.id), destination: fs(randomUUID()) },
    amount: { value: dollars(100 + ((i * 7919) % 50_000)), currency: 'USD' },
    correlationId,
  };
  if (!fromBalance && i % 3 === 0) {
    body.fees = [
      {
        _links: { 'charge-to': { href: `${c.base}/customers/${source.customer}` } },
        amount: { value: '0.25', currency: 'USD' },
      },
    ];
    body.metadata = { batch: 'bench', row: String(i) };
  }
  if (!fromBalance && i % 7 === 0) {
    body.clearing = { source: 'next-available', destination: 'next-available' };
  }
  if (i % 11 === 0) {
    body.achDetails = { destination: { addenda: { values: [`ROW ${i}`] } } };
  }
  return body;
}

/** Creates transfers `indexes` one after another; throws on any answer but 201. */
async function createLane(c: Client, indexes: Iterator<number>, source: { id: string; customer: string }) {
  for (let next = indexes.next(); !next.done; next = indexes.next()) {
    const key = randomUUID();
    const a = await c.dwolla('POST', '/transfers', transferBody(c, next.value, source, key), {
      'Idempotency-Key': key,
    });
    if (a.status !== 201) {
      throw new Error(`POST /transfers #${next.value} answered ${a.status}: ${a.body}`);
    }
  }
}

function* range(count: number, keep: (i: number) => boolean): Generator<number> {
  for (let i = 0; i < count; i += 1) {
    if (keep(i)) {
      yield i;
    }
  }
}

/** Creates `count` transfers: one lane for the balance (one transfer in flight), the others for the bank. */
async function createTransfers(c: Client, count: number): Promise<void> {
  const bankId = randomUUID();
  const fs = await c.dwolla('GET', `/funding-sources/${bankId}`);
  const customerHref = (JSON.parse(fs.body) as { _links: { customer: { href: string } } })._links.customer.href;
  const source = { id: bankId, customer: customerHref.split('/').pop() ?? '' };
  const fromBank = range(count, (i) => i % 10 !== 0);
  const lanes = [
    createLane(
      c,
      range(count, (i) => i % 10 === 0),
      source,
    ),
  ];
  for (let lane = 1; lane < CONCURRENCY; lane += 1) {
    lanes.push(createLane(c, fromBank, source));
  }
  await Promise.all(lanes);
}

interface MemoryFigures {
  count: number;
  seconds: number;
  idleMb: number;
  rssMb: number;
  peakMb: number;
}

async function measureOne(count: number): Promise<MemoryFigures> {
  const { url, child } = await startSimulatorChild();
  const c = new Client(url);
  try {
    const pid = child.pid ?? 0;
    await c.authenticate();
    const idle = await rssOf(pid);
    const started = process.hrtime.bigint();
    await createTransfers(c, count);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = JSON.parse((await c.send('GET', '/__simulator/stats', {})).body) as { transfersCreated: number };
    if (stats.transfersCreated !== count) {
      throw new Error(`the simulator holds ${stats.transfersCreated} transfers, not ${count}`);
    }
    const held = await rssOf(pid);
    return { count, seconds, idleMb: idle.rssMb, ...held };
  } finally {
    c.close();
    await stop(child);
  }
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** For each count, a fresh standalone simulator holding that many created transfers: its RSS. */
export async function benchSimulatorMemory(counts: number[]): Promise<void> {
  console.log(
    `standalone simulator holding N transfers created through POST /transfers (${CONCURRENCY} in flight, keep-alive; 1 in 10 from the balance, the others bank chains, 1 in 3 of those with a fee and metadata)`,
  );
  console.log('transfers  | seconds | created/s | idle RSS MB | RSS MB | peak RSS MB | peak bytes/transfer');
  for (const count of counts) {
    const m = await measureOne(count);
    const perTransfer = ((m.peakMb - m.idleMb) * 1024 * 1024) / count;
    console.log(
      `${fmt(count).padEnd(10)} | ${fmt(m.seconds, 1).padStart(7)} | ${fmt(count / m.seconds).padStart(9)} | ${fmt(m.idleMb, 1).padStart(11)} | ${fmt(m.rssMb, 1).padStart(6)} | ${fmt(m.peakMb, 1).padStart(11)} | ${fmt(perTransfer).padStart(19)}`,
    );
  }
  console.log('target: at most 600 MB peak RSS holding 1,000,000 transfers');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const counts = process.argv.slice(2).map(Number);
  await benchSimulatorMemory(counts.length > 0 ? counts : [100_000, 1_000_000]);
}
