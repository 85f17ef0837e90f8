import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the recording broker received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

/** A scripted response: status and JSON body (HAL for the broker's resources). */
export interface ScriptedResponse {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A recording HTTP server standing in for a Pact Broker (none can run here): it answers the HAL index and the few
 * resources the pact-broker CLI and the verifier navigate, records every request, and lets a test script answers.
 */
export class RecordingBroker {
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly routes: ((request: RecordedRequest, base: string) => ScriptedResponse | undefined)[] = [];

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // Not JSON: keep the text.
        }
        const request: RecordedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body,
        };
        this.requests.push(request);
        const response = this.answer(request) ?? { status: 200, body: {} };
        res.writeHead(response.status, { 'content-type': 'application/hal+json' });
        res.end(JSON.stringify(response.body));
      });
    });
  }

  /** Starts on a free port of 127.0.0.1. */
  static async start(): Promise<RecordingBroker> {
    const broker = new RecordingBroker();
    await new Promise<void>((resolve) => broker.server.listen(0, '127.0.0.1', resolve));
    return broker;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Adds a scripted route (checked before the defaults). */
  on(route: (request: RecordedRequest, base: string) => ScriptedResponse | undefined): void {
    this.routes.push(route);
  }

  /** Requests whose method and path (without query) match. */
  find(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter(
      (request) => request.method === method && request.path.split('?')[0]?.startsWith(pathPrefix),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: RecordedRequest): ScriptedResponse | undefined {
    for (const route of this.routes) {
      const response = route(request, this.url);
      if (response) return response;
    }
    if (request.method === 'GET' && request.path === '/') return { status: 200, body: halIndex(this.url) };
    return undefined;
  }
}

function halIndex(base: string): unknown {
  const link = (href: string, templated = false) => ({
    href: `${base}${href}`,
    ...(templated ? { templated } : {}),
  });
  return {
    _links: {
      self: link('/'),
      'pb:publish-contracts': link('/contracts/publish'),
      'pb:provider-pacts-for-verification': link('/pacts/provider/{provider}/for-verification', true),
      'pb:pacticipant': link('/pacticipants/{pacticipant}', true),
      'pb:pacticipant-version': link('/pacticipants/{pacticipant}/versions/{version}', true),
      'pb:environments': link('/environments'),
      'pb:environment': link('/environments/{uuid}', true),
      'pb:can-i-deploy-pacticipant-version-to-environment': link(
        '/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}',
        true,
      ),
      'pb:latest-provider-pacts': link('/pacts/provider/{provider}/latest', true),
    },
  };
}
