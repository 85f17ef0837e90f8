import { randomBytes } from 'node:crypto';
import * as amqplib from 'amqplib';
import { DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';

/** The broker the chaos tests run against. */
export const AMQP_URL = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;

/** A queue name of this run only (deleted by `Broker.cleanup`). */
export function uniqueName(tag: string): string {
  return `it.chaos.${tag}.${randomBytes(4).toString('hex')}`;
}

/** Resolves once `check()` holds; rejects naming `what` (and what was seen) after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean,
  seen: () => string = () => '',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw ${seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `until` for a check that needs the broker. */
export async function untilAsync(
  what: string,
  check: () => Promise<boolean>,
  seen: () => string = () => '',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw ${seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A direct (unproxied) amqplib connection for setting up and inspecting queues. */
export class Broker {
  private constructor(
    private readonly connection: amqplib.ChannelModel,
    private readonly channel: amqplib.Channel,
    private readonly queues = new Set<string>(),
  ) {}

  static async open(): Promise<Broker> {
    const connection = await amqplib.connect(AMQP_URL);
    return new Broker(connection, await connection.createChannel());
  }

  async queue(tag: string): Promise<string> {
    const name = uniqueName(tag);
    await this.channel.assertQueue(name, { durable: false });
    this.queues.add(name);
    return name;
  }

  async publish(queue: string, bodies: readonly string[]): Promise<void> {
    for (const body of bodies) this.channel.sendToQueue(queue, Buffer.from(body), { messageId: body });
    await this.channel.checkQueue(queue); // a round trip: everything above reached the broker
  }

  /** Ready messages (unacked ones are not counted until their consumer's connection closes). */
  async ready(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  /** Takes every ready message's body off the queue (acked). */
  async drain(queue: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const message = await this.channel.get(queue, { noAck: true });
      if (message === false) return bodies;
      bodies.push(message.content.toString());
    }
  }

  async cleanup(): Promise<void> {
    for (const queue of this.queues) await this.channel.deleteQueue(queue);
    await this.connection.close();
  }
}
