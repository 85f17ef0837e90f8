import path from 'node:path';
import { captureProviderTarget } from '../../../harness/contracts/foreign/capture-provider';
import {
  verifyConsumerByDelivery,
  type DeliveryReport,
} from '../../../harness/contracts/foreign/deliver-to-consumer';
import { verifyProviderTarget } from '../../../harness/contracts/pact/message-provider-target';
import type { VerificationReport } from '../../../harness/contracts/pact/verify-message-provider';
import { repoRoot } from '../support/pact-fixtures';
import { reportLines, startExample } from './example-run';
import { sensorAlertsEventTypes } from './sensor-alerts-pacts';

export const sensorAlertsDir = path.join(repoRoot, 'examples', 'sensor-alerts');
export const sensorAlertsPactDir = path.join(sensorAlertsDir, 'pacts');

/**
 * Starts the sensor alerts from their manifest under namespace `ns`, verifies `thresholds` by capture (a hot
 * reading published in CloudEvents structured mode triggers it; its binary-mode alert is captured from the
 * headers exchange) and `pager` by delivery (the pact's alert, with its headers, through pager's headers binding).
 */
export async function verifySensorAlerts(
  ns: string,
  pactDir: string,
): Promise<{ providers: VerificationReport[]; consumers: DeliveryReport[]; lines: string[] }> {
  await using example = await startExample(sensorAlertsDir, 'SENSOR_ALERTS_NS', ns);
  const { started, transport } = example;
  const pact = [path.join(pactDir, 'pager-thresholds.json')];
  const thresholds = captureProviderTarget(transport, {
    provider: 'thresholds',
    exchanges: started.exchanges,
    triggers: {
      AlertRaised: {
        publish: {
          exchange: `${ns}.telemetry`,
          routingKey: 'reading.recorded.sensor-7',
          contentType: 'application/cloudevents+json; charset=utf-8',
          body: {
            specversion: '1.0',
            id: `reading-${ns}`,
            source: '/troupe/contracts',
            type: 'com.example.sensor.reading.recorded',
            subject: 'sensor-7',
            correlationid: `reading-${ns}`,
            datacontenttype: 'application/json',
            data: { readingId: `reading-${ns}`, sensorId: 'sensor-7', site: 'lab', celsius: 92.5 },
          },
        },
      },
    },
    isEvent: (message, eventType) =>
      message.headers['cloudEvents_type'] === sensorAlertsEventTypes[eventType],
    contractExchange: (actual) => actual.replace(`${ns}.`, 'sensor-alerts.'),
  });
  const providers = [await verifyProviderTarget(thresholds, { kind: 'files', pactUrls: pact })];
  const consumers = [
    await verifyConsumerByDelivery({
      transport,
      url: started.brokerUrl,
      spec: {
        consumer: 'pager',
        queue: `${ns}.pager`,
        exchangeFor: (contract) => (contract ?? '').replace('sensor-alerts.', `${ns}.`),
        alive: () => started.service('pager').running && started.failure() === undefined,
      },
      pactFiles: pact,
    }),
  ];
  return { providers, consumers, lines: reportLines(providers, consumers) };
}
