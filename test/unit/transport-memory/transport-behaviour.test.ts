import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import { transportBehaviour } from '../../support/transport-behaviour';

// The shared behaviour suite (the same tests the AMQP adapter passes on RabbitMQ), in auto drive mode.
transportBehaviour({
  name: 'InMemoryTransport (auto)',
  prefix: 'mem',
  create: () => Promise.resolve(new InMemoryTransport()),
  waitMs: 2_000,
});
