/**
 * Dead-letter convention shared by every Transport adapter (AMQP and in-memory), so services, taps and tests
 * find a queue's DLQ without knowing the adapter.
 *
 * A queue declared with `deadLetterExchange: 'x'` gets its rejected messages dead-lettered to exchange `x`
 * with the routing key set to the *source queue's name*; the adapter also declares the queue
 * `deadLetterQueueName(queue)` bound to `x` with that key. One dead-letter exchange can therefore serve every
 * service while each service keeps its own DLQ. A runtime that wants a reason header publishes the message
 * itself to `x` with routing key = source queue name (then acks the original): it lands in the same DLQ.
 */
export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}
