/**
 * `npm run bench:proxy`: publish → consume through the AMQP chaos proxy against the same client talking to
 * RabbitMQ directly, in the same run. The proxy runs as `troupe proxy` in a process of its own (as in front of
 * foreign services), so it does not share the clients' event loop. Throughput rounds are interleaved (direct,
 * proxy, proxy with faults armed that never match — every delivery and publish then goes through the fault
 * decision — in rotating order) and judged by the median of the per-round ratios, so load on a shared machine
 * hits both sides alike. Latency samples (one message at a time) alternate direct / proxied.
 * Prints msgs/s, the ratio (target ≥ 0.8) and the latency the proxy adds at p50 / p99.
 *
 * Options (env): BENCH_MESSAGES (per throughput round, default 5000), BENCH_ROUNDS (default 7),
 * BENCH_LATENCY_N (per side, default 1000), BENCH_BODY_BYTES (default 256).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import type { ChaosPlan } from '../harness/chaos/index';
import { DEFAULT_AMQP_URL } from '../harness/transport/amqp/amqp-transport';

const upstream = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const messages = Number(process.env['BENCH_MESSAGES'] ?? 5_000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 7);
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

/** A publisher and a consumer on their own queue, one message at a time. */
async function latencyRig(urls: Urls) {
  const queue = `bench.proxy.${randomBytes(4).toString('hex')}`;
  const pubConnection = new Connection({ url: urls.publisher, noDelay: true });
  const subConnection = new Connection({ url: urls.consumer, noDelay: true });
  await pubConnection.queueDeclare({ queue, exclusive: false, autoDelete: false });
  let arrived: () => void = () => undefined;
  const consumer = subConnection.createConsumer({ queue, qos: { prefetchCount: 10 } }, () => arrived());
  await new Promise((resolve) => consumer.once('ready', resolve));
  const publisher = pubConnection.createPublisher({ confirm: false });
  return {
    /** publish → the consumer's handler, in ms. */
    async sample(i: number): Promise<number> {
      const got = new Promise<void>((resolve) => (arrived = resolve));
      const started = performance.now();
      await publisher.send(queue, Buffer.from(String(i)));
      await got;
      return performance.now() - started;
    },
    async close(): Promise<void> {
      await consumer.close();
      await publisher.close();
      await pubConnection.queueDelete({ queue });
      await pubConnection.close();
      await subConnection.close();
    },
  };
}

/** `troupe proxy` in a child process with two listeners; resolves with their URLs once it printed them. */
async function spawnProxy(plan: ChaosPlan): Promise<{ urls: Urls; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'harness/cli/main.ts',
      'proxy',
      '--upstream',
      upstream,
      '--listen',
      'publisher=0',
      '--listen',
      'consumer=0',
      '--adapter',
      'none',
      '--replay',
      JSON.stringify(plan),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ports = await new Promise<Record<string, string>>((resolve, reject) => {
    child.on('exit', (code) =>
      reject(new Error(`troupe proxy exited (${code}) before it listened:\n${out}`)),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found: Record<string, string> = {};
      for (const m of out.matchAll(/^\s+(publisher|consumer)\s+amqp:\/\/\S+:(\d+)/gm)) {
        found[m[1] as string] = m[2] as string;
      }
      if (found['publisher'] !== undefined && found['consumer'] !== undefined && out.includes('\nreplay:'))
        resolve(found);
    });
  });
  const urlOf = (port: string | undefined): string => {
    const url = new URL(upstream);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return url.toString();
  };
  return {
    urls: { publisher: urlOf(ports['publisher']), consumer: urlOf(ports['consumer']) },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const proxy = await spawnProxy({ faults: [] });
  const armed = await spawnProxy({
    faults: [
      { kind: 'delay', service: 'consumer', match: { routingKey: 'never.matches' }, ms: 1 },
      { kind: 'nack-confirm', service: 'publisher', match: { routingKey: 'never.matches' } },
    ],
  });
  const direct: Urls = { publisher: upstream, consumer: upstream };
  try {
    console.log(
      `bench:proxy — ${messages} messages × ${rounds} rounds, ${bodyBytes}-byte bodies, confirms on, ${WINDOW} in flight, prefetch 200; rabbitmq-client both ways; the proxy is \`troupe proxy\` in its own process`,
    );
    await throughput(direct); // warm-up (broker, JIT)
    await throughput(proxy.urls);
    const sides = [
      ['direct', direct],
      ['proxy', proxy.urls],
      ['armed', armed.urls],
    ] as const;
    const rates: Record<(typeof sides)[number][0], number[]> = { direct: [], proxy: [], armed: [] };
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < sides.length; k++) {
        const [name, urls] = sides[(round + k) % sides.length] as (typeof sides)[number];
        rates[name].push(await throughput(urls));
      }
    }
    const ratios = rates.proxy.map((p, i) => p / (rates.direct[i] as number));
    const armedRatios = rates.armed.map((a, i) => a / (rates.direct[i] as number));
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);
    const list = (values: readonly number[]): string => values.map((r) => Math.round(r)).join(', ');
    console.log(`throughput (median of ${rounds} rounds):`);
    console.log(
      `  direct                           ${fmt(median(rates.direct))} msgs/s   rounds ${list(rates.direct)}`,
    );
    console.log(
      `  through the proxy                ${fmt(median(rates.proxy))} msgs/s   rounds ${list(rates.proxy)}`,
    );
    console.log(
      `  through the proxy, faults armed  ${fmt(median(rates.armed))} msgs/s   rounds ${list(rates.armed)}`,
    );
    const ratio = median(ratios);
    console.log(
      `  ratio proxy / direct (median of per-round ratios): ${ratio.toFixed(2)} (target ≥ 0.8) ${ratio >= 0.8 ? '✓' : '✗'}; with faults armed: ${median(armedRatios).toFixed(2)}`,
    );

    const rigDirect = await latencyRig(direct);
    const rigProxy = await latencyRig(proxy.urls);
    const latDirect: number[] = [];
    const latProxy: number[] = [];
    for (let i = 0; i < 100; i++) await rigDirect.sample(i).then(() => rigProxy.sample(i)); // warm-up
    for (let i = 0; i < latencySamples; i++) {
      latDirect.push(await rigDirect.sample(i));
      latProxy.push(await rigProxy.sample(i));
    }
    await rigDirect.close();
    await rigProxy.close();
    const row = (name: string, s: number[]): string =>
      `  ${name.padEnd(18)} p50 ${percentile(s, 50).toFixed(3)} ms   p99 ${percentile(s, 99).toFixed(3)} ms`;
    console.log(`latency, one message at a time, samples alternating (${latencySamples} each):`);
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
