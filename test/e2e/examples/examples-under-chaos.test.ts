import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { eventually } from '../../../harness/assert/eventually';
import { flow } from '../../../harness/assert/flow';
import type { TargetService } from '../../../harness/target/target';
import { runNodeScript } from '../../integration/examples/example-process';
import { startUnderChaos } from './under-chaos';

// Troupe's pieces — manifest target, chaos proxy, system tap, publication counting, the manifest's invariants —
// against the example services running as separate processes on RabbitMQ. Each planted bug must be reported on
// the buggy variant and not on the fixed one.
const examples = path.resolve(__dirname, '../../../examples');
const suffix = randomBytes(4).toString('hex');
// The manifests read their namespace when loaded (once per test file); BUGS is inherited by each spawned service.
const boxOffice = `troupe-test.bo-chaos.${suffix}`;
const sensors = `troupe-test.sa-chaos.${suffix}`;
process.env['BOX_OFFICE_NS'] = boxOffice;
process.env['SENSOR_ALERTS_NS'] = sensors;

afterAll(async () => {
  await runNodeScript(path.join(examples, 'box-office/services/teardown.js'), { BOX_OFFICE_NS: boxOffice });
  await runNodeScript(path.join(examples, 'sensor-alerts/services/teardown.js'), {
    SENSOR_ALERTS_NS: sensors,
  });
});

describe.each([
  ['double-charge', ['at most one PaymentProcessed per data.orderId']],
  ['none', []],
])('box office (BUGS=%s): ChargeCard delivered twice to payments by the proxy', (bugs, expected) => {
  it(`the invariants report ${expected.length === 0 ? 'nothing' : 'the double charge'}`, async () => {
    process.env['BUGS'] = bugs;
    await using example = await startUnderChaos(
      path.join(examples, 'box-office/troupe.config.ts'),
      'bo-chaos',
    );
    example.proxy.apply({
      kind: 'duplicate',
      service: 'payments',
      match: { eventType: 'ChargeCard' },
      nth: 0,
    });
    const order = await example.started.startFlow(0);
    const events = flow(example.tap.log, order.correlationId);
    await events.toReach('ReceiptSent', { within: 10_000 });
    await events.quiescent({ idleFor: 400, within: 5_000 });

    expect(example.proxy.faultLog().map((entry) => entry.kind)).toContain('duplicate');
    // The firehose saw the receipt request booking sent straight to the mailer's queue.
    expect(events.events().map((event) => event.identity?.eventType)).toContain('SendReceipt');
    const violations = example.violations([order.key]);
    expect(violations.map((v) => v.split(':')[0])).toEqual(expected);
    if (expected.length > 0) expect(violations[0]).toContain(`${order.key}: 2 × PaymentProcessed`);
  });
});

describe.each([
  ['drop-while-disconnected', 'lost'],
  ['none', 'delivered once'],
])("sensor alerts (BUGS=%s): the pager's connections are cut while it pages", (bugs, outcome) => {
  it(`the page is ${outcome}`, async () => {
    process.env['BUGS'] = bugs;
    await using example = await startUnderChaos(
      path.join(examples, 'sensor-alerts/troupe.config.ts'),
      'sa-chaos',
    );
    const reading = await example.started.startFlow(0);
    const events = flow(example.tap.log, reading.correlationId);
    await events.toReach('com.example.alert.raised', { within: 10_000 });
    await waitForOutput(example.started.service('pager'), /paging for alert/);
    // The pager is calling the paging provider (300 ms): cut it off the broker and keep it off for 800 ms.
    expect(example.proxy.cut('pager', 'reset', { refuseMs: 800 })).toBeGreaterThan(0);

    if (bugs === 'none') {
      await events.toReach('com.example.page.sent', { within: 10_000 });
      await events.quiescent({ idleFor: 400, within: 5_000 });
      expect(example.violations([reading.key])).toEqual([]);
    } else {
      await expect(events.toReach('com.example.page.sent', { within: 2_500 })).rejects.toThrow(
        /timeout|within/,
      );
      const violations = example.violations([reading.key]);
      expect(violations).toHaveLength(1);
      expect(violations[0]).toContain(
        'exactly one com.example.page.sent|com.example.sensor.reading.accepted',
      );
      const pager = example.started
        .service('pager')
        .output()
        .map((line) => line.text);
      expect(pager.join('\n')).toMatch(/dropping page\.sent\.sensor-7/);
    }
  });
});

async function waitForOutput(service: TargetService, pattern: RegExp, timeoutMs = 5_000): Promise<void> {
  await eventually(() => service.output().some((line) => pattern.test(line.text)), {
    within: timeoutMs,
    description: `${service.name} to print ${pattern}`,
  });
}
