import type { AdapterConfig } from '../config/config-schema';
import { amqpPropertiesAdapter } from '../events/amqp-properties-adapter';
import { cloudEventsAdapter } from '../events/cloudevents-adapter';
import { troupeEnvelopeAdapter, type EnvelopeAdapter } from '../events/envelope-adapter';
import { jsonPathsAdapter } from '../events/json-paths-adapter';
import { asText, readMessagePath } from '../events/message-path';

/**
 * The `EnvelopeAdapter` a manifest's `adapter` names. `keyPath` (the flows' `key`) fills the business key when the
 * adapter config names none, read from the payload the adapter returns; for the troupe preset it is also the
 * payload field of its key.
 */
export function adapterFromConfig(config: AdapterConfig, keyPath?: string): EnvelopeAdapter {
  const adapter = baseAdapter(config, keyPath);
  if (keyPath === undefined) return adapter;
  return {
    read(message) {
      const identity = adapter.read(message);
      if (identity === undefined || identity.businessKey !== undefined) return identity;
      const key = asText(readMessagePath(message, identity.payload, keyPath));
      if (key === undefined) return identity;
      const uncorrelated = identity.correlationId === '(uncorrelated)';
      return { ...identity, businessKey: key, ...(uncorrelated ? { correlationId: key } : {}) };
    },
  };
}

function baseAdapter(config: AdapterConfig, keyPath: string | undefined): EnvelopeAdapter {
  if (typeof config === 'function') return { read: config };
  if (typeof config === 'string') {
    switch (config) {
      case 'troupe':
        return troupeEnvelopeAdapter(keyPath ?? 'orderId');
      case 'cloudevents':
        return cloudEventsAdapter({ key: keyPath });
      case 'amqp-properties':
        return amqpPropertiesAdapter({ key: keyPath });
    }
  }
  if ('read' in config) return config;
  if ('json' in config) return jsonPathsAdapter({ ...config.json, key: config.json.key ?? keyPath });
  if ('troupe' in config) return troupeEnvelopeAdapter(config.troupe.key ?? keyPath ?? 'orderId');
  if ('cloudevents' in config) return cloudEventsAdapter({ key: config.cloudevents.key ?? keyPath });
  return amqpPropertiesAdapter({ key: config['amqp-properties'].key ?? keyPath });
}
