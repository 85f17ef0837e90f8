import { execFile } from 'node:child_process';
import { AmqpTransportError } from './amqp-transport-error';

/** One broker connection as listed by `rabbitmqctl list_connections pid client_properties`. */
export interface BrokerConnection {
  /** Erlang pid, the only handle `rabbitmqctl close_connection` accepts. */
  readonly pid: string;
  /** The client's `connection_name` property, when it set one. */
  readonly name: string | undefined;
}

/** Runs a command and returns its stdout; injectable so parsing is testable without a broker. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<string>;

/** Runs a real `rabbitmqctl` (on PATH, or `RABBITMQCTL`). */
export const execRabbitmqctl: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new AmqpTransportError(
            'rabbitmqctl-failed',
            `${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`,
            { cause: error },
          ),
        );
      } else {
        resolve(stdout);
      }
    });
  });

/** Which `rabbitmqctl` to run, and how (a fake runner in unit tests). */
export interface RabbitmqctlOptions {
  /** The rabbitmqctl executable. Default: `RABBITMQCTL` env var, else `rabbitmqctl`. */
  readonly command?: string;
  readonly run?: CommandRunner;
}

const PID = /^<[^>\s]+>$/;
// The plain formatter prints client properties as an Erlang-ish term: {"connection_name","the-name"}.
const NAME_PROPERTY = /\{"connection_name","([^"]*)"\}/;

/** Parses `rabbitmqctl -q list_connections pid client_properties` output (tab separated, header optional). */
export function parseConnectionList(output: string): BrokerConnection[] {
  const connections: BrokerConnection[] = [];
  for (const line of output.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const pid = line.slice(0, tab).trim();
    if (!PID.test(pid)) continue; // header line or noise
    connections.push({ pid, name: NAME_PROPERTY.exec(line.slice(tab + 1))?.[1] });
  }
  return connections;
}

function resolve(options: RabbitmqctlOptions): { command: string; run: CommandRunner } {
  return {
    command: options.command ?? process.env['RABBITMQCTL'] ?? 'rabbitmqctl',
    run: options.run ?? execRabbitmqctl,
  };
}

/** Lists the broker's connections with their pid and connection name. */
export async function listConnections(options: RabbitmqctlOptions = {}): Promise<BrokerConnection[]> {
  const { command, run } = resolve(options);
  return parseConnectionList(await run(command, ['-q', 'list_connections', 'pid', 'client_properties']));
}

/** Which connections to close: exactly one name, or every name starting with a prefix (`ownConnectionPrefix`). */
export type ConnectionSelector = string | { readonly prefix: string };

/**
 * Closes every broker connection whose `connection_name` is exactly `name` (or starts with `{ prefix }`) — and
 * only those, so tests and chaos tools on a shared broker never disturb other clients. Returns how many were
 * closed (0 when none matched; a connection that went away between listing and closing is not counted).
 * Used for fault injection: a rabbitmq-client connection closed this way reconnects by itself.
 */
export async function closeOwnConnections(
  selector: ConnectionSelector,
  reason = 'troupe fault injection',
  options: RabbitmqctlOptions = {},
): Promise<number> {
  const matches = matcher(selector);
  const { command, run } = resolve(options);
  const own = (await listConnections({ command, run })).filter(
    (c) => c.name !== undefined && matches(c.name),
  );
  let closed = 0;
  for (const connection of own) {
    try {
      await run(command, ['-q', 'close_connection', connection.pid, reason]);
      closed += 1;
    } catch (error) {
      // Gone already (closed by its owner meanwhile) is fine; anything else is not.
      const stillThere = (await listConnections({ command, run })).some((c) => c.pid === connection.pid);
      if (stillThere) throw error;
    }
  }
  return closed;
}

function matcher(selector: ConnectionSelector): (name: string) => boolean {
  if (typeof selector === 'string') {
    if (selector.length === 0) {
      throw new AmqpTransportError('rabbitmqctl-failed', 'closeOwnConnections: the connection name is empty');
    }
    return (name) => name === selector;
  }
  // A short prefix ("troupe.") would cut every engineer's connections on a shared broker.
  if (!/^troupe\.[A-Za-z0-9_.-]+\.$/.test(selector.prefix)) {
    throw new AmqpTransportError(
      'rabbitmqctl-failed',
      `closeOwnConnections: prefix ${JSON.stringify(selector.prefix)} must look like "troupe.<purpose>." ` +
        '(use ownConnectionPrefix(purpose))',
    );
  }
  return (name) => name.startsWith(selector.prefix);
}
