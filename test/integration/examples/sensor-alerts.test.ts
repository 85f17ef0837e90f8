import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  type BrokerObserver,
  type ExampleProcess,
  type SeenMessage,
  observeBroker,
  runNodeScript,
  startExampleProcess,
  startTcpRelay,
  type TcpRelay,
} from './example-process';

// The CloudEvents example on its own, without Troupe: two plain-JavaScript services as separate processes on
// the real broker, readings in structured mode, alerts in binary mode on a headers exchange.
const servicesDir = path.resolve(__dirname, '../../../examples/sensor-alerts/services');
const script = (name: string): string => path.join(servicesDir, `${name}.js`);

interface StructuredEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** A structured-mode CloudEvent reading, the way a sensor gateway would publish it. */
function reading(readingId: string, celsius: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: '/test/gateway',
      type: 'com.example.sensor.reading.recorded',
      subject: 'sensor-7',
      datacontenttype: 'application/json',
      data: { readingId, sensorId: 'sensor-7', site: 'lab', celsius },
    }),
  );
}
const structured = { contentType: 'application/cloudevents+json; charset=utf-8' };

const typeOf = (message: SeenMessage): string | undefined =>
  message.contentType?.startsWith('application/cloudevents+json')
    ? (JSON.parse(message.body) as StructuredEvent).type
    : (message.headers['cloudEvents_type'] as string | undefined);
const readingIdOf = (message: SeenMessage): unknown =>
  message.contentType?.startsWith('application/cloudevents+json')
    ? (JSON.parse(message.body) as StructuredEvent).data['readingId']
    : (JSON.parse(message.body) as Record<string, unknown>)['readingId'];
const isEvent = (type: string, readingId: string) => (message: SeenMessage) =>
  typeOf(message) === type && readingIdOf(message) === readingId;

describe.each(['drop-while-disconnected', 'none'])(
  'sensor alerts example (BUGS=%s), services as processes',
  (bugs) => {
    const ns = `troupe-test.sensor-alerts.${randomBytes(4).toString('hex')}`;
    // The paging provider takes 300 ms; after a cut the pager reconnects 500 ms later, so a page in flight when
    // its connections drop is published (or dropped) while it is down.
    const env = { SENSOR_ALERTS_NS: ns, BUGS: bugs, PAGE_LATENCY_MS: '300', RECONNECT_MS: '500' };
    let services: ExampleProcess[] = [];
    let observer: BrokerObserver;
    let relay: TcpRelay | undefined;
    const pager = (): ExampleProcess => services.find((s) => s.name === 'pager') as ExampleProcess;

    beforeAll(async () => {
      relay = await startTcpRelay(); // the pager reaches the broker through it, so the test can cut it off
      services = await Promise.all([
        startExampleProcess(script('thresholds'), env),
        startExampleProcess(script('pager'), { ...env, AMQP_URL: relay.url }),
      ]);
      observer = await observeBroker([
        { exchange: `${ns}.telemetry`, type: 'topic', key: '#' },
        { exchange: `${ns}.alerts`, type: 'headers', args: { 'x-match': 'all' } },
      ]);
    });

    afterAll(async () => {
      await observer?.close();
      const codes = await Promise.all(services.map((service) => service.stop()));
      await relay?.close();
      await runNodeScript(path.join(servicesDir, 'teardown.js'), env);
      expect(codes).toEqual([0, 0]);
    });

    it('pages for a critical reading (binary alert on the headers exchange) and accepts a normal one', async () => {
      const hot = randomUUID();
      const normal = randomUUID();
      await observer.publish(`${ns}.telemetry`, 'reading.recorded.sensor-7', reading(hot, 91.5), structured);
      await observer.publish(`${ns}.telemetry`, 'reading.recorded.sensor-7', reading(normal, 21), structured);

      const [pageSent] = await observer.waitFor(isEvent('com.example.page.sent', hot));
      await observer.waitFor(isEvent('com.example.sensor.reading.accepted', normal));
      const [alert] = observer.seen.filter(isEvent('com.example.alert.raised', hot));
      expect(alert?.exchange).toBe(`${ns}.alerts`);
      expect(alert?.headers).toMatchObject({
        severity: 'critical',
        site: 'lab',
        cloudEvents_specversion: '1.0',
      });
      expect(alert?.contentType).toBe('application/json'); // binary mode: the body is the data alone
      expect(pageSent?.contentType).toMatch(/^application\/cloudevents\+json/); // structured mode
      expect(pageSent?.routingKey).toBe('page.sent.sensor-7');
      expect(observer.seen.filter(isEvent('com.example.alert.raised', normal))).toHaveLength(0);
    });

    it(`a page in flight when the pager's connections drop is ${bugs === 'none' ? 'delivered once after the reconnect' : 'lost (the planted bug)'}`, async () => {
      const hot = randomUUID();
      const connectedBefore = countLines(pager().output(), /publisher connected/);
      await observer.publish(`${ns}.telemetry`, 'reading.recorded.sensor-7', reading(hot, 99), structured);
      await pager().waitForLine(new RegExp(`paging for alert .* \\(reading ${hot}\\)`));
      // The pager is calling the paging provider: cut both its connections under it.
      expect(relay?.cutAll()).toBe(2);
      await pager().waitForLine(/publisher connection lost/);
      await pager().waitForLine(/publisher connected/, 10_000, connectedBefore + 1);

      // A second alert after the reconnect marks the point by which the first page must have gone out.
      const later = randomUUID();
      await observer.publish(`${ns}.telemetry`, 'reading.recorded.sensor-7', reading(later, 95), structured);
      await observer.waitFor(isEvent('com.example.page.sent', later));
      if (bugs === 'none') {
        await observer.waitFor(isEvent('com.example.page.sent', hot));
        expect(observer.seen.filter(isEvent('com.example.page.sent', hot))).toHaveLength(1);
      } else {
        expect(pager().output()).toMatch(/dropping page\.sent\.sensor-7/);
        expect(observer.seen.filter(isEvent('com.example.page.sent', hot))).toHaveLength(0);
      }
    });
  },
);

function countLines(output: string, pattern: RegExp): number {
  return output.split('\n').filter((line) => pattern.test(line)).length;
}
