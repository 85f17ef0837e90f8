import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ChaosError } from './chaos-error';
import { renderFaultLog } from './fault-log';
import { describeChaosFault, parseChaosFault } from './plan/chaos-fault';
import type { StartedChaosProxy } from './start-chaos-proxy';

/** A running control API. */
export interface StartedControlApi {
  readonly url: string;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/**
 * A small HTTP API on loopback for a running proxy (`troupe proxy --control`), so services started elsewhere get
 * faults from a test or a shell:
 * - `GET /connections` — the proxied connections and what each consumes;
 * - `GET /faults` — the fault log (JSON; `?format=text` for the rendered timeline);
 * - `POST /faults` — apply one fault (the plan's JSON shape); 400 with the reason when it is invalid;
 * - `POST /cut` — `{ "service": "orders", "how": "reset" | "close", "refuseMs"?: 500 }`;
 * - `GET /pending` — armed faults still waiting for their message.
 */
export async function startControlApi(
  proxy: StartedChaosProxy,
  options: { readonly port?: number; readonly host?: string } = {},
): Promise<StartedControlApi> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    handle(proxy, request, response).catch((error: unknown) => {
      if (error instanceof ChaosError) reply(response, 400, { error: error.message, code: error.code });
      else reply(response, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ChaosError(
          'listen-failed',
          `control API: cannot listen on ${host}:${options.port ?? 0}: ${error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve((server.address() as { port: number }).port));
  });
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  proxy: StartedChaosProxy,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://control');
  const route = `${request.method ?? 'GET'} ${url.pathname}`;
  switch (route) {
    case 'GET /connections':
      return reply(response, 200, proxy.connections());
    case 'GET /faults':
      if (url.searchParams.get('format') === 'text') {
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`${renderFaultLog(proxy.faultLog())}\n`);
        return;
      }
      return reply(response, 200, proxy.faultLog());
    case 'GET /pending':
      return reply(
        response,
        200,
        proxy.pendingFaults().map((fault) => ({ fault, description: describeChaosFault(fault) })),
      );
    case 'POST /faults': {
      const body = await readJson(request);
      try {
        const fault = parseChaosFault(body, 'POST /faults');
        proxy.apply(fault);
        return reply(response, 202, { applied: describeChaosFault(fault) });
      } catch (error) {
        return replyError(response, error);
      }
    }
    case 'POST /cut': {
      const body = (await readJson(request)) as { service?: unknown; how?: unknown; refuseMs?: unknown };
      if (typeof body.service !== 'string')
        return reply(response, 400, { error: 'POST /cut: "service" (a string) is required' });
      const how = body.how ?? 'reset';
      if (how !== 'reset' && how !== 'close')
        return reply(response, 400, { error: 'POST /cut: "how" must be "reset" or "close"' });
      try {
        const refuseMs = typeof body.refuseMs === 'number' ? body.refuseMs : undefined;
        const cut = proxy.cut(body.service, how, refuseMs === undefined ? undefined : { refuseMs });
        return reply(response, 200, { cut });
      } catch (error) {
        return replyError(response, error);
      }
    }
    default:
      return reply(response, 404, {
        error: `no route ${route}; try GET /connections, GET /faults, GET /pending, POST /faults, POST /cut`,
      });
  }
}

function replyError(response: ServerResponse, error: unknown): void {
  if (error instanceof ChaosError) reply(response, 400, { error: error.message, code: error.code });
  else throw error;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ChaosError('invalid-fault', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
  } catch (cause) {
    throw new ChaosError('invalid-fault', `request body is not JSON: ${text.slice(0, 80)}`, { cause });
  }
}
