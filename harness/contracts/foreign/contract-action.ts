import { execFile } from 'node:child_process';
import type { Transport } from '../../transport/transport';
import { ContractError } from '../contract-error';

/** Values an action may use as `{{name}}` in its arguments, URL, body or headers (a provider state's params…). */
export type ActionVariables = Readonly<Record<string, unknown>>;

/** Run a command (no shell): exit code 0 is success; the variables are also in `PACT_VARIABLES` (JSON). */
export interface RunAction {
  readonly run: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Make an HTTP request: a 2xx answer is success. */
export interface HttpAction {
  readonly http: {
    readonly url: string;
    readonly method?: string;
    readonly body?: unknown;
    readonly headers?: Readonly<Record<string, string>>;
  };
}

/** Publish a message (the upstream event a producer reacts to, a consumer's own setup event…). */
export interface PublishAction {
  readonly publish: {
    readonly exchange: string;
    readonly routingKey?: string;
    /** A JSON value (serialized) or a string (sent as it is). */
    readonly body: unknown;
    readonly contentType?: string;
    readonly headers?: Readonly<Record<string, string>>;
  };
}

/** What a function action gets. */
export interface ActionContext {
  readonly variables: ActionVariables;
  readonly transport: Transport;
}

/**
 * One way to act on a system Troupe did not write — set up a provider state, trigger a producer, probe a
 * consumer: a command, an HTTP call, a published message, or a function. Described as data so a manifest can
 * carry it.
 */
export type ContractAction =
  RunAction | HttpAction | PublishAction | ((context: ActionContext) => Promise<void>);

/** One action or several, run in order. */
export type ContractActions = ContractAction | readonly ContractAction[];

/** Runs `actions` in order; throws a `ContractError` (`action-failed`) naming the action and what it answered. */
export async function runContractActions(
  actions: ContractActions,
  context: ActionContext,
  what: string,
): Promise<void> {
  const list: readonly ContractAction[] = Array.isArray(actions) ? actions : [actions as ContractAction];
  for (const action of list) await runOne(action, context, what);
}

async function runOne(action: ContractAction, context: ActionContext, what: string): Promise<void> {
  const render = <T>(value: T): T => fill(value, context.variables);
  if (typeof action === 'function') {
    await action(context).catch((error: unknown) => {
      throw new ContractError('action-failed', `${what}: ${describe(error)}`, { cause: error });
    });
    return;
  }
  if ('run' in action) {
    const [command, ...args] = render(action.run);
    if (!command) throw new ContractError('action-failed', `${what}: an empty command`);
    await new Promise<void>((resolve, reject) => {
      execFile(
        command,
        args,
        {
          cwd: action.cwd,
          env: { ...process.env, ...action.env, PACT_VARIABLES: JSON.stringify(context.variables) },
          timeout: action.timeoutMs ?? 30_000,
        },
        (error, stdout, stderr) =>
          error
            ? reject(
                new ContractError(
                  'action-failed',
                  `${what}: \`${[command, ...args].join(' ')}\` failed: ${(stderr || stdout).trim() || error.message}`,
                  { cause: error },
                ),
              )
            : resolve(),
      );
    });
    return;
  }
  if ('http' in action) {
    const { url, method, body, headers } = render(action.http);
    let response: Response;
    try {
      response = await fetch(url, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ContractError('action-failed', `${what}: ${method ?? 'POST'} ${url} did not answer`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ContractError(
        'action-failed',
        `${what}: ${url} answered ${response.status} ${text.slice(0, 200)}`,
      );
    }
    return;
  }
  const { exchange, routingKey, body, contentType, headers } = render(action.publish);
  await context.transport
    .publish(exchange, {
      routingKey: routingKey ?? '',
      body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8'),
      contentType: contentType ?? (typeof body === 'string' ? 'text/plain' : 'application/json'),
      headers: { ...headers, 'x-troupe-injected': 'test' },
    })
    .catch((error: unknown) => {
      throw new ContractError('action-failed', `${what}: publishing to ${exchange} failed`, { cause: error });
    });
}

/** Replaces `{{name}}` in every string of `value` (a whole-string `{{name}}` keeps the variable's JSON type). */
function fill<T>(value: T, variables: ActionVariables): T {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([\w.-]+)\s*\}\}$/.exec(value);
    if (whole?.[1] !== undefined && whole[1] in variables) return variables[whole[1]] as T;
    return value.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (all, name: string) =>
      name in variables ? String(variables[name]) : all,
    ) as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => fill(item, variables)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, variables)])) as T;
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
