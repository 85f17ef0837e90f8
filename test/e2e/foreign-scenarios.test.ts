import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import { loadConfig } from '../../harness/config/load-config';
import {
  parseScenario,
  scenarioLoadOptions,
  type LoadedScenario,
} from '../../harness/scenario/load-scenario';
import { proxyChaos } from '../../harness/scenario/proxy-chaos';
import { runScenario } from '../../harness/scenario/run-scenario';
import { renderScenarioReport, type ScenarioReport } from '../../harness/scenario/scenario-report';
import { targetFromConfig } from '../../harness/target/config-target';
import type { Target } from '../../harness/target/target';

/*
 * Scenarios against services Troupe did not write, on the real broker: two tiny plain-JavaScript processes on
 * amqplib (a greeter and a logger on a topic exchange, bodies `{ event, data }` without message ids), started
 * from a troupe.config.json manifest by the Target the manifest engineer built, with the chaos proxy for
 * message faults. Every name is prefixed with a random namespace and deleted afterwards.
 */

const amqplib = require.resolve('amqplib');
const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A service: consumes `queue` (durable, bound to `from`), answers each message with `reply`; BUG=1 forgets dedupe. */
const serviceSource = (from: string, reply: string, queueSuffix: string): string => `'use strict';
const amqp = require(${JSON.stringify(amqplib)});
const fs = require('node:fs');
const ns = process.env.NS;
const exchange = ns + '.events';
const queue = ns + '.${queueSuffix}';
const ledger = process.env.LEDGER + '.${queueSuffix}';
const seen = new Set();
let stopping = false;
let connection;
// Reconnects when its connection is cut, like a real service must.
async function start() {
  connection = await amqp.connect(process.env.AMQP_URL);
  connection.on('error', () => undefined);
  connection.on('close', () => {
    if (!stopping) setTimeout(() => start().catch((error) => console.error('reconnect failed: ' + error.message)), 200);
  });
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  await channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, '${from}');
  await channel.consume(queue, (message) => {
    const { data } = JSON.parse(message.content.toString());
    if (process.env.BUG !== '1' && seen.has(data.id)) return channel.ack(message);
    seen.add(data.id);
    fs.appendFileSync(ledger, data.id + '\\n');
    channel.publish(exchange, '${reply}', Buffer.from(JSON.stringify({ event: '${reply}', data })), {}, () => channel.ack(message));
  });
  console.log('${queueSuffix} ready');
}
process.on('SIGTERM', () => {
  stopping = true;
  Promise.resolve(connection && connection.close()).finally(() => process.exit(0));
});
start().catch((error) => { console.error(error.message); process.exit(1); });
`;

interface Fixture {
  readonly dir: string;
  readonly ns: string;
  target(bug: boolean): Promise<Target>;
}

async function fixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'troupe-foreign-'));
  const ns = `troupe-foreign-${randomBytes(3).toString('hex')}`;
  await writeFile(path.join(dir, 'greeter.js'), serviceSource('HelloRequested', 'HelloSaid', 'greeter'));
  await writeFile(path.join(dir, 'logger.js'), serviceSource('HelloSaid', 'HelloLogged', 'logger'));
  // Counts how often a service handled a key: the probe of final state (a command printing JSON).
  await writeFile(
    path.join(dir, 'count.js'),
    `const fs = require('node:fs');
const [file, id] = process.argv.slice(2);
const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\\n') : [];
console.log(JSON.stringify({ handled: lines.filter((line) => line === id).length }));
`,
  );
  return {
    dir,
    ns,
    async target(bug) {
      const env = { NS: ns, LEDGER: path.join(dir, `ledger-${bug ? 'bug' : 'ok'}`), BUG: bug ? '1' : '0' };
      const service = (name: string) => ({
        command: process.execPath,
        args: [`${name}.js`],
        env,
        queues: [`${ns}.${name}`],
        ready: { log: `${name} ready`, timeout: '15s' },
        stop: { signal: 'SIGTERM', grace: '3s' },
      });
      const manifest = {
        name: 'hello',
        broker: { url: amqpUrl, exchanges: [{ name: `${ns}.events`, type: 'topic' }] },
        services: { greeter: service('greeter'), logger: service('logger') },
        adapter: { json: { type: 'event', key: 'data.id' } },
        flows: {
          hello: {
            start: {
              publish: {
                exchange: `${ns}.events`,
                routingKey: 'HelloRequested',
                body: { event: 'HelloRequested', data: { id: '{{flow.key}}' } },
              },
            },
            key: 'data.id',
            terminal: ['HelloLogged'],
          },
        },
      };
      const file = path.join(dir, `troupe.config.${bug ? 'bug' : 'ok'}.json`);
      await writeFile(file, JSON.stringify(manifest, null, 2));
      return targetFromConfig(await loadConfig({ file }));
    },
  };
}

function spec(target: Target, text: string, ns: string): LoadedScenario {
  const result = parseScenario(text.replaceAll('NS', ns), 'hello.scenario.yaml', scenarioLoadOptions(target));
  if (!result.ok) throw result.error;
  return result.scenario;
}

const hello = `name: hello
when:
  - publish:
      as: greeting
      exchange: NS.events
      routingKey: HelloRequested
      body: { event: HelloRequested, data: { id: '{{flow.key}}' } }
FAULTS
then:
  flows:
    greeting: { chain: [HelloRequested, HelloSaid, HelloLogged], terminal: HelloLogged, counts: { HelloSaid: 1 } }
  probes:
    - run: { command: node, args: [count.js, 'LEDGER.greeter', '{{flows.greeting.key}}'], stdout: { handled: 1 } }
  settle: 300ms
within: 15s
`;

const failedNames = (report: ScenarioReport): string[] =>
  report.checks.filter((check) => !check.ok).map((check) => check.name);

describe('scenarios against foreign processes on RabbitMQ (manifest target, chaos proxy)', () => {
  let world: Fixture;
  beforeAll(async () => {
    world = await fixture();
  });
  afterAll(async () => {
    // The services' topology is theirs (durable queues, an exchange): delete it, so the broker is left as found.
    const connection = await connect(amqpUrl);
    const channel = await connection.createChannel();
    for (const queue of ['greeter', 'logger']) await channel.deleteQueue(`${world.ns}.${queue}`);
    await channel.deleteExchange(`${world.ns}.events`);
    await connection.close();
    await rm(world.dir, { recursive: true, force: true });
  });

  const run = async (bug: boolean, faults: string): Promise<ScenarioReport> => {
    const target = await world.target(bug);
    const text = hello
      .replace('FAULTS', faults)
      .replace('LEDGER', path.join(world.dir, `ledger-${bug ? 'bug' : 'ok'}`));
    return runScenario(spec(target, text, world.ns), { target, chaos: proxyChaos(target), cwd: world.dir });
  };

  it('a flow through two processes passes: chain in order (no causation ids), counts, a command probe', async () => {
    const report = await run(false, '');
    expect({ failed: failedNames(report), error: report.error }).toEqual({ failed: [], error: undefined });
    expect(report.flows[0]?.terminals).toEqual(['HelloLogged']);
    expect(report.services?.map((service) => service.name)).toEqual(['greeter', 'logger']);
  });

  it('a delivery duplicated by the proxy to the greeter is caught when it forgets its dedupe, not otherwise', async () => {
    const duplicate = 'faults:\n  - duplicate: { event: HelloRequested, service: greeter }';
    const broken = await run(true, duplicate);
    expect(failedNames(broken)).toEqual(
      expect.arrayContaining(['greeting: count of HelloSaid is exactly 1']),
    );
    expect(renderScenarioReport(broken)).toContain('Output of greeter');
    expect(broken.faults.map((fault) => fault.detail)).toEqual(
      expect.arrayContaining([expect.stringContaining('greeter')]),
    );
    const fine = await run(false, duplicate);
    expect({ failed: failedNames(fine), error: fine.error }).toEqual({ failed: [], error: undefined });
  });

  it('a lost ack then a cut (redeliver through the proxy): the greeter reconnects, gets it again, greets once', async () => {
    // `redelivered` is not asserted here: on process targets it is seen through the vhost-wide firehose, which a
    // concurrent run on the shared broker may switch off. The proxy's own log says the ack was lost.
    const report = await run(false, 'faults:\n  - redeliver: { event: HelloRequested, service: greeter }');
    expect({ failed: failedNames(report), error: report.error }).toEqual({ failed: [], error: undefined });
    expect(report.checks).toContainEqual({
      name: 'fault redeliver HelloRequested to greeter was applied',
      ok: true,
    });
    expect(report.faults).toContainEqual(expect.objectContaining({ kind: 'redeliver' }));
  });

  it('the greeter paused by the proxy for a second: the flow waits, then ends', async () => {
    const report = await run(false, 'faults:\n  - pause: { service: greeter, for: 1s }');
    expect({ failed: failedNames(report), error: report.error }).toEqual({ failed: [], error: undefined });
    expect(report.flows[0]?.terminalAfterMs).toBeGreaterThanOrEqual(900);
    expect(report.faults.map((fault) => fault.detail)).toContain(
      "as when started: greeter's consumers paused for 1000 ms",
    );
  });

  it('the logger is killed after HelloSaid and started again: the durable queue keeps the message', async () => {
    const report = await run(
      false,
      'faults:\n  - kill: { service: logger, after: HelloSaid, restartAfter: 500ms }',
    );
    expect({ failed: failedNames(report), error: report.error }).toEqual({ failed: [], error: undefined });
    expect(report.faults.map((fault) => fault.detail)).toEqual([
      expect.stringMatching(/^after HelloSaid: logger killed/),
      'logger started again',
    ]);
  });
});
