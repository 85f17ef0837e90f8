import type { BrokerConfig } from './broker-config';
import { ContractError } from '../contract-error';
import { explainBrokerFailure, formatBrokerHint } from './explain-broker-failure';

/** A HAL resource of the broker: its JSON, with `_links` by relation. */
export interface HalResource {
  readonly body: Record<string, unknown>;
  /** The href of `relation` (the first one when the broker lists several), or undefined. */
  link(relation: string): string | undefined;
}

/**
 * A minimal HAL client for the Pact Broker resources Troupe follows itself (pacts for verification, verification
 * results, the provider's branch version). Credentials go in the Authorization header only; errors name the
 * request, the status and — for a missing relation — what the broker lacks (`broker-feature-missing`).
 */
export class BrokerClient {
  constructor(private readonly broker: BrokerConfig) {}

  /** The broker's index (`GET /`). */
  index(): Promise<HalResource> {
    return this.request('GET', `${this.broker.baseUrl}/`);
  }

  get(url: string): Promise<HalResource> {
    return this.request('GET', url);
  }

  post(url: string, body: unknown): Promise<HalResource> {
    return this.request('POST', url, body);
  }

  put(url: string, body: unknown): Promise<HalResource> {
    return this.request('PUT', url, body);
  }

  /** The href of `relation` on `resource` with its template variables filled in, or a named error. */
  follow(
    resource: HalResource,
    relation: string,
    where: string,
    variables: Readonly<Record<string, string>> = {},
  ): string {
    const href = resource.link(relation);
    if (href === undefined) {
      const message = `no '${relation}' link on ${where}`;
      const hint = explainBrokerFailure(`'${relation}'`);
      throw new ContractError(
        'broker-feature-missing',
        hint ? `${message}: ${formatBrokerHint(hint)}` : message,
      );
    }
    return href.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = variables[name];
      return value === undefined ? whole : encodeURIComponent(value);
    });
  }

  private async request(method: string, url: string, body?: unknown): Promise<HalResource> {
    const headers: Record<string, string> = { accept: 'application/hal+json, application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.broker.token) headers['authorization'] = `Bearer ${this.broker.token}`;
    else if (this.broker.username) {
      const basic = Buffer.from(`${this.broker.username}:${this.broker.password ?? ''}`).toString('base64');
      headers['authorization'] = `Basic ${basic}`;
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ContractError('broker-request-failed', `${method} ${url}: the broker did not answer`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ContractError(
        'broker-request-failed',
        `${method} ${url}: HTTP ${response.status} ${truncate(text)}`.trimEnd(),
      );
    }
    let parsed: unknown = {};
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new ContractError(
          'broker-request-failed',
          `${method} ${url}: the answer is not JSON (${truncate(text)})`,
          { cause: error },
        );
      }
    }
    return halResource(parsed);
  }
}

function halResource(parsed: unknown): HalResource {
  const body = isRecord(parsed) ? parsed : {};
  const links = isRecord(body['_links']) ? body['_links'] : {};
  return {
    body,
    link(relation) {
      const value = links[relation];
      const first: unknown = Array.isArray(value) ? value[0] : value;
      return isRecord(first) && typeof first['href'] === 'string' ? first['href'] : undefined;
    },
  };
}

function truncate(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
