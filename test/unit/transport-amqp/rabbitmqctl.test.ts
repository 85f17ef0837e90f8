import { connectionName, ownConnectionPrefix } from '../../../harness/transport/amqp/connection-name';
import { closeOwnConnections, parseConnectionList } from '../../../harness/transport/amqp/rabbitmqctl';

// Shape of `rabbitmqctl -q list_connections pid client_properties` on RabbitMQ 3.10 (captured on this machine).
const LISTING = [
  'pid\tclient_properties',
  '<rabbit@localhost.1795690598.866.0>\t[{"product","rabbitmq-client"},{"version","5.0.8"},{"capabilities",[{"basic.nack",true}]},{"connection_name","troupe.it.1.ab"}]',
  '<rabbit@localhost.1795690598.901.0>\t[{"product","rabbitmq-client"},{"connection_name","someone-else"}]',
  '<rabbit@localhost.1795690598.950.0>\t[{"product","other"}]',
  '<rabbit@localhost.1795690598.977.0>\t[{"connection_name","troupe.it.1.ab"}]',
  '',
].join('\n');

describe('rabbitmqctl helpers', () => {
  it('parses pids and connection names, skipping the header', () => {
    expect(parseConnectionList(LISTING)).toEqual([
      { pid: '<rabbit@localhost.1795690598.866.0>', name: 'troupe.it.1.ab' },
      { pid: '<rabbit@localhost.1795690598.901.0>', name: 'someone-else' },
      { pid: '<rabbit@localhost.1795690598.950.0>', name: undefined },
      { pid: '<rabbit@localhost.1795690598.977.0>', name: 'troupe.it.1.ab' },
    ]);
  });

  it('closes only the connections carrying exactly the given name', async () => {
    const calls: string[][] = [];
    const run = (command: string, args: readonly string[]): Promise<string> => {
      calls.push([command, ...args]);
      return Promise.resolve(args.includes('list_connections') ? LISTING : '');
    };
    await expect(closeOwnConnections('troupe.it.1.ab', 'cut', { command: 'rmqctl', run })).resolves.toBe(2);
    expect(calls).toEqual([
      ['rmqctl', '-q', 'list_connections', 'pid', 'client_properties'],
      ['rmqctl', '-q', 'close_connection', '<rabbit@localhost.1795690598.866.0>', 'cut'],
      ['rmqctl', '-q', 'close_connection', '<rabbit@localhost.1795690598.977.0>', 'cut'],
    ]);
    await expect(closeOwnConnections('troupe.it', 'cut', { command: 'rmqctl', run })).resolves.toBe(0);
  });

  it('makes unique, rabbitmqctl-safe connection names and refuses unsafe purposes', () => {
    const a = connectionName('chaos.payments');
    expect(a).toMatch(/^troupe\.chaos\.payments\.\d+\.[0-9a-f]{8}$/);
    expect(connectionName('chaos.payments')).not.toBe(a);
    expect(a.startsWith(ownConnectionPrefix('chaos.payments'))).toBe(true);
    expect(() => connectionName('has "quotes"')).toThrow(/purpose "has \\"quotes\\"" must be/);
  });
});

describe('closeOwnConnections by prefix', () => {
  const listing = [
    '<rabbit@h.1.1.0>\t[{"connection_name","troupe.shop.42.aaaa"}]',
    '<rabbit@h.1.2.0>\t[{"connection_name","troupe.shop.42.bbbb"}]',
    '<rabbit@h.1.3.0>\t[{"connection_name","troupe.shop.43.cccc"}]',
    '<rabbit@h.1.4.0>\t[{"connection_name","troupe.shopping.42.dddd"}]',
  ].join('\n');

  it('closes every connection of this process and purpose, and no other', async () => {
    const closed: string[] = [];
    const run = (_command: string, args: readonly string[]): Promise<string> => {
      if (args.includes('close_connection')) closed.push(args[2] ?? '');
      return Promise.resolve(args.includes('list_connections') ? listing : '');
    };
    await expect(closeOwnConnections({ prefix: 'troupe.shop.42.' }, 'cut', { run })).resolves.toBe(2);
    expect(closed).toEqual(['<rabbit@h.1.1.0>', '<rabbit@h.1.2.0>']);
  });

  it('refuses prefixes broad enough to hit other clients', async () => {
    const run = (): Promise<string> => Promise.resolve(listing);
    for (const prefix of ['troupe.', 'troupe', 'troupe.shop']) {
      await expect(closeOwnConnections({ prefix }, 'cut', { run })).rejects.toMatchObject({
        code: 'rabbitmqctl-failed',
      });
    }
  });

  it('does not count a connection that disappeared between listing and closing', async () => {
    let lists = 0;
    const run = (_command: string, args: readonly string[]): Promise<string> => {
      if (args.includes('close_connection')) return Promise.reject(new Error('no such connection'));
      lists += 1;
      return Promise.resolve(lists === 1 ? listing : '');
    };
    await expect(closeOwnConnections('troupe.shop.42.aaaa', 'cut', { run })).resolves.toBe(0);
  });
});
