import { manifestBrokerUrl } from '../../../harness/target/config-target';

const broker = (extra: object = {}) => ({
  broker: { exchanges: [{ name: 'e', type: 'topic' as const }], ...extra },
});

describe('manifestBrokerUrl', () => {
  it('a runner override, else broker.url, else AMQP_URL, else the local default', () => {
    const saved = process.env['AMQP_URL'];
    try {
      delete process.env['AMQP_URL'];
      expect(manifestBrokerUrl(broker())).toBe('amqp://guest:guest@127.0.0.1:5672');
      process.env['AMQP_URL'] = 'amqp://u:p@env:5672';
      expect(manifestBrokerUrl(broker())).toBe('amqp://u:p@env:5672');
      expect(manifestBrokerUrl(broker({ url: 'amqp://cfg:5672' }))).toBe('amqp://cfg:5672');
      expect(manifestBrokerUrl(broker({ url: 'amqp://cfg:5672' }), 'amqp://proxy:1')).toBe('amqp://proxy:1');
    } finally {
      if (saved === undefined) delete process.env['AMQP_URL'];
      else process.env['AMQP_URL'] = saved;
    }
  });

  it('adds broker.vhost (encoded) to a URL that names none, never over one that does', () => {
    expect(manifestBrokerUrl(broker({ url: 'amqp://h:5672', vhost: 'shop/eu' }))).toBe(
      'amqp://h:5672/shop%2Feu',
    );
    expect(manifestBrokerUrl(broker({ url: 'amqp://h:5672/other', vhost: 'shop' }))).toBe(
      'amqp://h:5672/other',
    );
    expect(manifestBrokerUrl(broker({ url: 'amqp://h:5672', vhost: '/' }))).toBe('amqp://h:5672');
  });
});
