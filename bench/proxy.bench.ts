/**
 * `npm run bench:proxy`: publish → consume through the AMQP chaos proxy against the same client talking to
 * RabbitMQ directly, in the same run, rounds interleaved. Prints msgs/s for both and their ratio (target ≥ 0.8),
 * and the latency the proxy adds (p50 / p99 of one message at a time). A third line measures the proxy with a
 * fault armed that never matches (every delivery and publish goes through the fault decision).
 *
 * Options (env): BENCH_MESSAGES (per throughput round, default 20000), BENCH_ROUNDS (default 3),
 * BENCH_LATENCY_N (default 1000), BENCH_BODY_BYTES (default 256).
 */
import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { startChaosProxy, type StartedChaosProxy } from '../harness/chaos/index';
import { DEFAULT_AMQP_URL } from '../harness/transport/amqp/amqp-transport';

const upstream = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const messages = Number(process.env['BENCH_MESSAGES'] ?? 20_000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const latencySamples = Number(process.env['BENCH_LATENCY_N'] ?? 1_000);
const bodyBytes = Number(process.env['BENCH_BODY_BYTES'] ?? 256);
const WINDOW = 256;

interface Urls {
  readonly publisher: string;
  readonly consumer: string;
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const median = (values: readonly number[]): number => percentile(values, 50);

/** Publishes `messages` with confirms (WINDOW in flight) while a consumer acks them; msgs/s end to end. */
async function throughput(urls: Urls): Promise<number> {
  const queue = `bench.proxy.${randomBytes(4).toString('hex')}`;
  const pubConnection = new Connection({ url: urls.publisher, noDelay: true });
  const subConnection = new Connection({ url: urls.consumer, noDelay: true });
  await pubConnection.queueDeclare({ queue, exclusive: false, autoDelete: false });
  const body = Buffer.alloc(bodyBytes, 'x');
  let received = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const consumer = subConnection.createConsumer({ queue, qos: { prefetchCount: 200 } }, () => {
    received += 1;
    if (received === messages) resolveDone();
  });
  const publisher = pubConnection.createPublisher({ confirm: true });
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < messages; i++) {
    const sent: Promise<void> = publisher.send(queue, body).then(() => void inFlight.delete(sent));
    inFlight.add(sent);
    if (inFlight.size >= WINDOW) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await done;
  const seconds = (performance.now() - started) / 1000;
  await consumer.close();
  await publisher.close();
  await pubConnection.queueDelete({ queue });
  await pubConnection.close();
  await subConnection.close();
  return messages / seconds;
}

/** One message at a time: publish → the consumer's handler, in ms. */
async function latency(urls: Urls): Promise<number[]> {
  const queue = `bench.proxy.${randomBytes(4).toString('hex')}`;
  const pubConnection = new Connection({ url: urls.publisher, noDelay: true });
  const subConnection = new Connection({ url: urls.consumer, noDelay: true });
  await pubConnection.queueDeclare({ queue, exclusive: false, autoDelete: false });
  let arrived: () => void = () => undefined;
  const consumer = subConnection.createConsumer({ queue, qos: { prefetchCount: 10 } }, () => arrived());
  await new Promise((resolve) => consumer.once('ready', resolve));
  const publisher = pubConnection.createPublisher({ confirm: false });
  const samples: number[] = [];
  for (let i = 0; i < latencySamples; i++) {
    const got = new Promise<void>((resolve) => (arrived = resolve));
    const started = performance.now();
    await publisher.send(queue, Buffer.from(String(i)));
    await got;
    samples.push(performance.now() - started);
  }
  await consumer.close();
  await publisher.close();
  await pubConnection.queueDelete({ queue });
  await pubConnection.close();
  await subConnection.close();
  return samples;
}

async function main(): Promise<void> {
  const proxy: StartedChaosProxy = await startChaosProxy({
    upstream,
    listeners: [{ service: 'publisher' }, { service: 'consumer' }],
  });
  const armed = await startChaosProxy({
    upstream,
    listeners: [{ service: 'publisher' }, { service: 'consumer' }],
    plan: {
      faults: [
        { kind: 'delay', service: 'consumer', match: { routingKey: 'never.matches' }, ms: 1 },
        { kind: 'nack-confirm', service: 'publisher', match: { routingKey: 'never.matches' } },
      ],
    },
  });
  const direct: Urls = { publisher: upstream, consumer: upstream };
  const viaProxy: Urls = { publisher: proxy.urlFor('publisher'), consumer: proxy.urlFor('consumer') };
  const viaArmed: Urls = { publisher: armed.urlFor('publisher'), consumer: armed.urlFor('consumer') };
  try {
    console.log(
      `bench:proxy — ${messages} messages × ${rounds} rounds, ${bodyBytes}-byte bodies, confirms on, ${WINDOW} in flight, prefetch 200; rabbitmq-client both ways`,
    );
    await throughput(direct); // warm-up (broker, JIT)
    const rates = { direct: [] as number[], proxy: [] as number[], armed: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      rates.direct.push(await throughput(direct));
      rates.proxy.push(await throughput(viaProxy));
      rates.armed.push(await throughput(viaArmed));
    }
    const d = median(rates.direct);
    const p = median(rates.proxy);
    const a = median(rates.armed);
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);
    console.log(`throughput (median of ${rounds}):`);
    console.log(
      `  direct                           ${fmt(d)} msgs/s   rounds ${rates.direct.map((r) => Math.round(r)).join(', ')}`,
    );
    console.log(
      `  through the proxy                ${fmt(p)} msgs/s   rounds ${rates.proxy.map((r) => Math.round(r)).join(', ')}`,
    );
    console.log(
      `  through the proxy, faults armed  ${fmt(a)} msgs/s   rounds ${rates.armed.map((r) => Math.round(r)).join(', ')}`,
    );
    const ratio = p / d;
    console.log(
      `  ratio proxy / direct: ${ratio.toFixed(2)} (target ≥ 0.8) ${ratio >= 0.8 ? '✓' : '✗'}; with faults armed: ${(a / d).toFixed(2)}`,
    );

    await latency(direct); // warm-up
    const latDirect = await latency(direct);
    const latProxy = await latency(viaProxy);
    const row = (name: string, s: number[]): string =>
      `  ${name.padEnd(18)} p50 ${percentile(s, 50).toFixed(3)} ms   p99 ${percentile(s, 99).toFixed(3)} ms`;
    console.log(`latency, one message at a time (${latencySamples} samples):`);
    console.log(row('direct', latDirect));
    console.log(row('through the proxy', latProxy));
    console.log(
      `  added by the proxy: p50 +${(percentile(latProxy, 50) - percentile(latDirect, 50)).toFixed(3)} ms, p99 +${(percentile(latProxy, 99) - percentile(latDirect, 99)).toFixed(3)} ms`,
    );
    if (ratio < 0.8) process.exitCode = 1;
  } finally {
    await proxy.stop();
    await armed.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
