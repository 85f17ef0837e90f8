import { readdir, readFile, readlink } from 'node:fs/promises';
import { execRabbitmqctl, type RabbitmqctlOptions } from '../transport/amqp/rabbitmqctl';
import { TargetError } from './target-error';

/** What the cut needs of a running service: its process-group leader. */
export interface ProcessGroupLeader {
  readonly name: string;
  readonly pid: number | undefined;
}

const PID = /^<[^>\s]+>$/;

/**
 * Cuts the broker connections of a service Troupe runs as a process, without a proxy and without knowing their
 * names: the TCP sockets of its process group (Linux `/proc`) give their local ports, which the broker reports as
 * each connection's `peer_port`; exactly those connections are closed (`rabbitmqctl close_connection`). The
 * client sees a broker-initiated close, as after a failover. Only for a broker on this machine; with the chaos
 * proxy, use its cut instead (`TargetContext.router`). Returns how many connections were closed.
 */
export async function cutProcessConnections(
  service: ProcessGroupLeader,
  options: { readonly vhost?: string; readonly rabbitmqctl?: RabbitmqctlOptions } = {},
): Promise<number> {
  if (process.platform !== 'linux') {
    throw new TargetError(
      'unsupported',
      `cutting ${service.name}'s connection needs Linux /proc or the chaos proxy`,
      {
        service: service.name,
      },
    );
  }
  if (service.pid === undefined) return 0;
  const ports = await localPortsOfGroup(service.pid);
  if (ports.size === 0) return 0;
  const command = options.rabbitmqctl?.command ?? process.env['RABBITMQCTL'] ?? 'rabbitmqctl';
  const run = options.rabbitmqctl?.run ?? execRabbitmqctl;
  const listing = await run(command, ['-q', 'list_connections', 'pid', 'peer_port', 'peer_host']);
  let closed = 0;
  for (const line of listing.split('\n')) {
    const [pid, port, host] = line.trim().split('\t');
    if (pid === undefined || !PID.test(pid) || port === undefined) continue;
    if (!ports.has(Number(port)) || !isLocal(host ?? '')) continue;
    await run(command, ['-q', 'close_connection', pid, `troupe: cut ${service.name}`]).then(
      () => closed++,
      () => undefined, // gone meanwhile
    );
  }
  return closed;
}

/** Local TCP ports of every socket held by a process in the group `pgid`. */
async function localPortsOfGroup(pgid: number): Promise<Set<number>> {
  const inodes = new Set<string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command: state ppid pgrp …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match) inodes.add(match[1] as string);
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1];
      const inode = columns[9];
      if (local === undefined || inode === undefined || !inodes.has(inode)) continue;
      ports.add(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

function isLocal(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === '::ffff:127.0.0.1' || host === 'localhost';
}
