import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dockerAvailable, tcpReachable } from '../../../harness/infra/probes';

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}
function close(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('infrastructure probes', () => {
  it('tcpReachable: true for a listening port, false once it is closed', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listen(server);
    await expect(tcpReachable('127.0.0.1', port)).resolves.toBe(true);
    await close(server);
    await expect(tcpReachable('127.0.0.1', port)).resolves.toBe(false);
  });

  it('dockerAvailable: true only when DOCKER_HOST answers GET /_ping with 200', async () => {
    let status = 200;
    const fakeEngine = createServer((req, res) => {
      res.writeHead(req.url === '/_ping' ? status : 404).end('OK');
    });
    const port = await listen(fakeEngine);
    try {
      await expect(dockerAvailable({ DOCKER_HOST: `tcp://127.0.0.1:${port}` })).resolves.toBe(true);
      status = 500;
      await expect(dockerAvailable({ DOCKER_HOST: `tcp://127.0.0.1:${port}` })).resolves.toBe(false);
    } finally {
      await close(fakeEngine);
    }
    await expect(dockerAvailable({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).resolves.toBe(false);
    await expect(dockerAvailable({ DOCKER_HOST: 'tcp://[bad' })).resolves.toBe(false);
  });
});
