import type { DeliveryHandler, Transport } from '../transport/transport';

/** A transport whose connection cut is emulated; see `emulateCuts`. */
export interface CuttableTransport {
  readonly transport: Transport;
  /** Every delivery being handled right now loses its ack: the broker gives it back, redelivered. */
  cut(): void;
}

/**
 * Emulates a cut connection where the broker cannot be cut for real (the in-memory transport, a remote broker
 * without `rabbitmqctl`): a handler running when `cut()` is called has its ack turned into a requeue, as when the
 * channel died under it, so its message comes back with `redelivered=true`.
 */
export function emulateCuts(transport: Transport): CuttableTransport {
  let epoch = 0;
  const wrap =
    (handler: DeliveryHandler): DeliveryHandler =>
    async (delivery) => {
      const started = epoch;
      const outcome = await handler(delivery);
      return started !== epoch && outcome === 'ack' ? 'requeue' : outcome;
    };
  return {
    transport: {
      declare: (topology) => transport.declare(topology),
      publish: (exchange, message) => transport.publish(exchange, message),
      consume: (queue, handler, options) => transport.consume(queue, wrap(handler), options),
      close: () => transport.close(),
    },
    cut: () => {
      epoch++;
    },
  };
}
