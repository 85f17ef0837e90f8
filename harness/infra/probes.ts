import { request } from 'node:http';
import { connect } from 'node:net';
import type { InfrastructureProbes } from './infrastructure-choice';

/** True when a TCP connection to host:port opens within `timeoutMs`. */
export function tcpReachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * True when a Docker engine answers `GET /_ping` with 200: at `DOCKER_HOST` (unix:// or tcp://) if set,
 * else at /var/run/docker.sock. A socket file alone is not enough — the engine must answer.
 */
export function dockerAvailable(
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = 1000,
): Promise<boolean> {
  const host = env['DOCKER_HOST']?.trim();
  let target: { socketPath: string } | { host: string; port: number };
  if (host === undefined || host === '') {
    target = { socketPath: '/var/run/docker.sock' };
  } else if (host.startsWith('unix://')) {
    target = { socketPath: host.slice('unix://'.length) };
  } else {
    try {
      const url = new URL(host.replace(/^tcp:/, 'http:'));
      target = { host: url.hostname, port: Number(url.port || 2375) };
    } catch {
      return Promise.resolve(false);
    }
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** The real probes: `process.env` (or the given env), TCP connects, and a Docker `/_ping`. */
export function defaultProbes(
  env: Readonly<Record<string, string | undefined>> = process.env,
): InfrastructureProbes {
  return {
    env,
    tcpReachable: (host, port) => tcpReachable(host, port),
    dockerAvailable: () => dockerAvailable(env),
  };
}
