import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runNodeScript } from '../../integration/examples/example-process';
import { runTroupeProcess } from '../../support/troupe-cli';
import { listQueueNames, rabbitmqctl, tracingOn } from './broker-leftovers';

// The examples through the `troupe` CLI the way a user runs it — from the example's folder, which holds its
// troupe.config.ts and scenarios/ — on RabbitMQ, with the services started by Troupe as separate processes.
// Each planted bug must fail its scenario / break an invariant of the broker fuzz session on the buggy variant,
// and the fixed variant must pass the same run.
const root = path.resolve(__dirname, '../../..');

interface CliResult {
  readonly code: number | null;
  readonly out: string;
}

async function troupe(
  example: string,
  env: Readonly<Record<string, string>>,
  ...args: string[]
): Promise<CliResult> {
  const { code, stdout, stderr } = await runTroupeProcess(args, {
    cwd: path.join(root, 'examples', example),
    env,
    timeoutMs: 150_000,
  });
  return { code, out: `${stdout}\n${stderr}` };
}

/** Pids of live processes whose environment carries `NAME=value` (the services of one run). */
function processesWith(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle);
      } catch {
        return false; // gone, or not ours
      }
    })
    .map(Number);
}

const namespaceVariable = { 'box-office': 'BOX_OFFICE_NS', 'sensor-alerts': 'SENSOR_ALERTS_NS' } as const;
type Example = keyof typeof namespaceVariable;
const used: { example: Example; ns: string }[] = [];

/** A fresh namespace for one run of `example` (its exchanges and queues), torn down after the file. */
function namespaceFor(example: Example): string {
  const ns = `troupe-test.${example}.${randomBytes(4).toString('hex')}`;
  used.push({ example, ns });
  return ns;
}

/** After each run: no service process of it is left (Troupe stopped them all, also when the run failed). */
function expectNoProcessesLeft(example: Example, ns: string): void {
  expect(processesWith(namespaceVariable[example], ns)).toEqual([]);
}

afterAll(async () => {
  // What the services declared is theirs to delete: the example's teardown, then nothing of any run is left.
  for (const { example, ns } of used) {
    await runNodeScript(path.join(root, 'examples', example, 'services', 'teardown.js'), {
      [namespaceVariable[example]]: ns,
    });
  }
  const queues = await listQueueNames();
  expect(queues.filter((queue) => used.some(({ ns }) => queue.startsWith(ns)))).toEqual([]);
});
const slow = 180_000; // each CLI run starts the services, taps, runs and stops; two run at once

// With tracing already on, no run turns it off under another one (the firehose sees SendReceipt, which booking
// sends straight to the mailer's queue). It is turned off again only if this file turned it on.
let turnedTracingOn = false;
beforeAll(async () => {
  turnedTracingOn = !(await tracingOn());
  if (turnedTracingOn) await rabbitmqctl('trace_on');
});
afterAll(async () => {
  if (turnedTracingOn) await rabbitmqctl('trace_off');
});

describe('box office through the CLI (plain JS, fanout, no message ids)', () => {
  it(
    'troupe scenarios: the double charge fails its scenario; BUGS=none passes it and the receipt scenario',
    async () => {
      const buggyNs = namespaceFor('box-office');
      const fixedNs = namespaceFor('box-office');
      const [buggy, fixed] = await Promise.all([
        troupe(
          'box-office',
          { BOX_OFFICE_NS: buggyNs },
          'scenarios',
          'scenarios/repeated-charge.scenario.yaml',
        ),
        troupe(
          'box-office',
          { BOX_OFFICE_NS: fixedNs, BUGS: 'none' },
          'scenarios',
          '--tag',
          'duplicate',
          'happy-path',
        ),
      ]);

      expect(buggy.out).toContain('troupe: target: box-office (troupe.config.ts) — 4 service(s)');
      expect(buggy.out).toContain('✗ a ChargeCard delivered twice charges the card once');
      expect(buggy.out).toContain('✗ order: count of PaymentProcessed is exactly 1');
      expect(buggy.out).toMatch(
        /✗ invariant: at most one PaymentProcessed per data\.orderId\n\s+data\.orderId \S+: 2 × PaymentProcessed/,
      );
      expect(buggy.out).toMatch(/charges: expected 1, got 2/); // the ledger probe
      expect(buggy.out).toMatch(/proxy: payments: delivery of ChargeCard \(key payments\): 1 copy/);
      expect(buggy.code).toBe(1);

      expect(fixed.out).toContain('2/2 scenario(s) passed');
      // Its checks include `count of SendReceipt is exactly 1`: sent straight to a queue, seen by the firehose.
      expect(fixed.out).toMatch(/✓ a paid order gets its tickets and a receipt \(/);
      expect(fixed.code).toBe(0);
      expectNoProcessesLeft('box-office', buggyNs);
      expectNoProcessesLeft('box-office', fixedNs);
    },
    slow,
  );

  it(
    'troupe fuzz --mode broker: duplicated deliveries break atMostOne(PaymentProcessed) only on the buggy variant',
    async () => {
      const buggyNs = namespaceFor('box-office');
      const fixedNs = namespaceFor('box-office');
      // Half the messages duplicated over 10 orders: some ChargeCard is all but certain to be among them. No cuts:
      // booking lets its supervisor restart it after a lost connection, and Troupe is no supervisor.
      const args = [
        'fuzz',
        '--mode',
        'broker',
        '--runs',
        '10',
        '--seed',
        '11',
        '--duplicate-rate',
        '0.5',
        '--cuts',
        '0',
      ];
      const [buggy, fixed] = await Promise.all([
        troupe('box-office', { BOX_OFFICE_NS: buggyNs }, ...args),
        troupe('box-office', { BOX_OFFICE_NS: fixedNs, BUGS: 'none' }, ...args),
      ]);

      expect(buggy.out).toMatch(/box-office \(troupe\.config\.ts\) on RabbitMQ: 10 flows in .* — VIOLATIONS/);
      expect(buggy.out).toMatch(
        /✗ \[invariant\] at most one PaymentProcessed per data\.orderId: data\.orderId \S+: [2-9] × PaymentProcessed/,
      );
      expect(buggy.out).toContain('rerun: troupe fuzz --mode broker --seed 11');
      expect(buggy.code).toBe(1);

      expect(fixed.out).toMatch(/box-office \(troupe\.config\.ts\) on RabbitMQ: 10 flows in .* — OK/);
      expect(fixed.out).toMatch(/lost 0, duplicated 0, unexpected 0/);
      // Six publications per order, SendReceipt (straight to the mailer's queue, seen by the firehose) included.
      expect(fixed.out).toMatch(/published by the system: 60 message\(s\)/);
      expect(fixed.code).toBe(0);
      expectNoProcessesLeft('box-office', buggyNs);
      expectNoProcessesLeft('box-office', fixedNs);
    },
    slow,
  );
});

describe('sensor alerts through the CLI (CloudEvents, topic + headers exchanges)', () => {
  it(
    'troupe scenarios: a cut of the pager loses the page it was sending; BUGS=none delivers it once',
    async () => {
      const buggyNs = namespaceFor('sensor-alerts');
      const fixedNs = namespaceFor('sensor-alerts');
      const [buggy, fixed] = await Promise.all([
        troupe(
          'sensor-alerts',
          { SENSOR_ALERTS_NS: buggyNs },
          'scenarios',
          'scenarios/pager-connection-cut.scenario.yaml',
        ),
        troupe(
          'sensor-alerts',
          { SENSOR_ALERTS_NS: fixedNs, BUGS: 'none' },
          'scenarios',
          '--tag',
          'cut',
          'happy-path',
        ),
      ]);

      expect(buggy.out).toContain('✗ a page survives the pager losing its broker connection');
      expect(buggy.out).toMatch(/✗ reading: count of com\.example\.page\.sent is exactly 1\n\s+0 observed/);
      expect(buggy.out).toMatch(
        /cut: after com\.example\.alert\.raised: cut 2 connection\(s\) of pager \(proxy\)/,
      );
      expect(buggy.out).toContain('[pager] publisher is down: dropping page.sent.sensor-9'); // the service's output
      expect(buggy.code).toBe(1);

      // hot-reading checks the causal chain reading → alert (binary mode, headers exchange) → page (structured).
      expect(fixed.out).toContain('2/2 scenario(s) passed');
      expect(fixed.code).toBe(0);
      expectNoProcessesLeft('sensor-alerts', buggyNs);
      expectNoProcessesLeft('sensor-alerts', fixedNs);
    },
    slow,
  );
});
