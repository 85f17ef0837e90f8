// The sensor alerts' target manifest. Names hang off SENSOR_ALERTS_NS (default `sensor-alerts`). The services
// inherit Troupe's environment: BUGS=none picks the fixed pager (default: the planted drop-while-disconnected);
// PAGE_LATENCY_MS and RECONNECT_MS tune it.
import { defineConfig } from '../../harness/config/define-config';
import { invariant } from '../../harness/fuzz/invariant';

const ns = process.env['SENSOR_ALERTS_NS'] ?? 'sensor-alerts';
const env = { SENSOR_ALERTS_NS: ns };

export default defineConfig({
  name: 'sensor-alerts',
  broker: {
    exchanges: [
      { name: `${ns}.telemetry`, type: 'topic' },
      { name: `${ns}.alerts`, type: 'headers' },
    ],
  },
  services: {
    thresholds: {
      command: 'node',
      args: ['services/thresholds.js'],
      env,
      queues: [`${ns}.thresholds`],
      ready: { queue: `${ns}.thresholds`, timeout: '15s' },
    },
    pager: {
      command: 'node',
      args: ['services/pager.js'],
      env,
      queues: [`${ns}.pager`],
      ready: { log: '/\\[pager\\] ready/', timeout: '15s' },
    },
  },
  // CloudEvents AMQP binding, binary and structured modes; correlation from the `correlationid` extension.
  adapter: { cloudevents: { key: 'data.readingId' } },
  flows: {
    reading: {
      start: {
        publish: {
          exchange: `${ns}.telemetry`,
          routingKey: 'reading.recorded.sensor-7',
          properties: { contentType: 'application/cloudevents+json; charset=utf-8' },
          body: {
            specversion: '1.0',
            id: '{{uuid}}',
            source: '/troupe/gateway',
            type: 'com.example.sensor.reading.recorded',
            subject: 'sensor-7',
            time: '{{now}}',
            correlationid: '{{flow.key}}',
            datacontenttype: 'application/json',
            data: { readingId: '{{flow.key}}', sensorId: 'sensor-7', site: 'lab', celsius: 92.5 },
          },
        },
      },
      key: 'data.readingId',
      terminal: ['com.example.page.sent', 'com.example.sensor.reading.accepted'],
      invariants: [
        invariant
          .exactlyOne(['com.example.page.sent', 'com.example.sensor.reading.accepted'])
          .per('data.readingId'),
        invariant.atMostOne('com.example.alert.raised').per('data.readingId'),
      ],
    },
  },
});
