import { PactV4 } from '@pact-foundation/pact';
import { z } from 'zod';
import { addEventInteraction } from '../../../harness/contracts/pact/event-interaction';
import { zodToPact } from '../../../harness/contracts/pact-rules/zod-to-pact';

/**
 * The sensor alerts' consumer pact (examples/sensor-alerts: CloudEvents over AMQP, plain JavaScript). `pager`
 * consumes `com.example.alert.raised` in CloudEvents binary mode from a headers exchange: the body is the event's
 * data, its attributes travel as `cloudEvents_*` headers, and the `severity` header is what pager's binding
 * (x-match all, severity = critical) routes on — so those headers are part of the contract, as metadata.
 */

/** The CloudEvents type of each interaction's event (pact descriptions start with `<EventType>: `). */
export const sensorAlertsEventTypes: Readonly<Record<string, string>> = {
  AlertRaised: 'com.example.alert.raised',
};

const alertRaised = z.object({
  alertId: z.string().min(1),
  readingId: z.string().min(1),
  sensorId: z.string().min(1),
  site: z.string().min(1),
  celsius: z.number(),
  severity: z.enum(['critical']),
});

/** Writes `pager-thresholds.json` into `dir`. */
export async function writeSensorAlertsPacts(dir: string): Promise<void> {
  const pact = new PactV4({ consumer: 'pager', provider: 'thresholds', dir, logLevel: 'error' });
  const example = {
    alertId: 'alert-0192f5a07c1e7a3b',
    readingId: '0192f5a0-7c1e-7a3b-8d4e-0000000000a1',
    sensorId: 'sensor-7',
    site: 'lab',
    celsius: 92.5,
    severity: 'critical',
  };
  await addEventInteraction(pact, {
    description: 'AlertRaised: a reading over the critical threshold raises an alert',
    contract: zodToPact(alertRaised, example),
    metadata: {
      exchange: 'sensor-alerts.alerts',
      routingKey: '',
      contentType: 'application/json',
      severity: 'critical',
      cloudEvents_specversion: '1.0',
      cloudEvents_type: 'com.example.alert.raised',
      cloudEvents_source: '/sensor-alerts/thresholds',
    },
    // The consumer is verified by delivery to the running pager; here the example only has to be valid.
  }).executeTest((message) => Promise.resolve(void alertRaised.parse(message.contents.content)));
}
