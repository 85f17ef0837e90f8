import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { eventually } from '../../assert/eventually';
import type { OutgoingMessage } from '../../transport/transport';
import type { HttpStep, PublishStep, RunStep, ScenarioStep, TargetStep, WaitStep } from '../scenario-schema';
import { ScenarioRunError } from '../scenario-run-error';
import { runCommand } from './run-command';
import {
  capabilityContext,
  fillTemplate,
  flowNamed,
  newFlow,
  type RunFlow,
  type RunState,
} from './run-state';

/** Runs the steps of `given` or `when` in order; the flows of one step (`count`) run concurrently. */
export async function runSteps(
  state: RunState,
  section: 'given' | 'when',
  steps: readonly ScenarioStep[],
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    if (state.abandoned()) return;
    const where = `${section}[${index}] ${step.kind === 'target' ? step.name : step.kind}`;
    try {
      await runStep(state, step, `${section}[${index}]`);
    } catch (caught) {
      const code = caught instanceof ScenarioRunError ? caught.code : 'step-failed';
      throw new ScenarioRunError(code, `${where} failed: ${messageOf(caught)}`, { cause: caught });
    }
  }
}

async function runStep(state: RunState, step: ScenarioStep, defaultName: string): Promise<void> {
  if (step.kind === 'wait') return runWait(state, step);
  const flows = flowsFor(state, step, defaultName);
  if (flows.length === 0) return execute(state, step, undefined);
  await Promise.all(flows.map((flow) => execute(state, step, flow)));
}

/** The flows a step runs in: new ones (`as`, or an anonymous one for `publish`), the one it joins, or none. */
function flowsFor(
  state: RunState,
  step: Exclude<ScenarioStep, WaitStep>,
  defaultName: string,
): readonly RunFlow[] {
  if (step.flow !== undefined) {
    const joined = flowNamed(state, step.flow);
    if (!joined) throw new ScenarioRunError('step-failed', `no flow named "${step.flow}" has started`);
    return [joined];
  }
  const startsFlow =
    step.as !== undefined ||
    step.kind === 'publish' ||
    (step.kind === 'target' && state.target.steps?.[step.name]?.startsFlow === true);
  if (!startsFlow) return [];
  const base = step.as ?? defaultName;
  return Array.from({ length: step.count }, (_unused, n) =>
    newFlow(state, step.count > 1 ? `${base}#${n + 1}` : base, step.as),
  );
}

async function execute(
  state: RunState,
  step: Exclude<ScenarioStep, WaitStep>,
  flow: RunFlow | undefined,
): Promise<void> {
  switch (step.kind) {
    case 'publish':
      return publish(state, step, flow);
    case 'http':
      return http(state, step, flow);
    case 'run':
      return run(state, step, flow);
    case 'target':
      return targetStep(state, step, flow);
  }
}

async function publish(state: RunState, step: PublishStep, flow: RunFlow | undefined): Promise<void> {
  const { started } = state;
  const correlationId = flow?.correlationId ?? uuidv7();
  const headers = fillTemplate(state, step.headers ?? {}, flow) as Record<string, unknown>;
  const properties = fillTemplate(state, step.properties ?? {}, flow) as NonNullable<
    PublishStep['properties']
  >;
  let exchange: string;
  let message: OutgoingMessage;
  if (step.event !== undefined && step.body === undefined && started.encodeEvent) {
    const encoded = started.encodeEvent({
      eventType: step.event,
      payload: fillTemplate(state, step.payload ?? {}, flow),
      correlationId,
      causationId: uuidv7(),
      exchange: step.exchange,
    });
    exchange = step.exchange ?? encoded.exchange;
    message = encoded.message;
  } else {
    const content = fillTemplate(state, step.body ?? step.payload ?? {}, flow);
    exchange = step.exchange ?? started.exchanges[0]?.name ?? '';
    message = {
      routingKey: step.routingKey ?? step.event ?? '',
      body: Buffer.from(typeof content === 'string' ? content : JSON.stringify(content)),
      contentType: typeof content === 'string' ? 'text/plain' : 'application/json',
      ...(step.event !== undefined ? { type: step.event } : {}),
    };
  }
  if (step.queue !== undefined) exchange = '';
  message = {
    ...message,
    ...(step.routingKey !== undefined
      ? { routingKey: fillTemplate(state, step.routingKey, flow) as string }
      : {}),
    ...(step.queue !== undefined ? { routingKey: fillTemplate(state, step.queue, flow) as string } : {}),
    headers: { ...message.headers, ...headers },
    ...definedOnly(properties),
  };
  if (flow && !flow.pinned) {
    // What the adapter reads off the message is what the flow's events will carry.
    const identity = started.adapter.read({ ...message, headers: message.headers ?? {} });
    if (identity) {
      flow.correlationId = identity.correlationId;
      flow.pinned = true;
    }
  }
  await started.publish(exchange, message, 'step');
}

async function http(state: RunState, step: HttpStep, flow: RunFlow | undefined): Promise<void> {
  const url = fillTemplate(state, step.url, flow) as string;
  const headers = fillTemplate(state, step.headers ?? {}, flow) as Record<string, string>;
  const body = step.body === undefined ? undefined : JSON.stringify(fillTemplate(state, step.body, flow));
  const response = await fetch(url, {
    method: step.method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(Math.max(1_000, state.deadline - Date.now())),
  });
  const text = await response.text();
  const ok = step.status ? step.status.includes(response.status) : response.ok;
  if (!ok) {
    throw new ScenarioRunError(
      'step-failed',
      `${step.method} ${url} answered ${response.status}${step.status ? ` (expected ${step.status.join(' or ')})` : ''}: ${text.slice(0, 300)}`,
    );
  }
}

async function run(state: RunState, step: RunStep, flow: RunFlow | undefined): Promise<void> {
  const result = await runCommand({
    command: fillTemplate(state, step.command, flow) as string,
    args: step.args ? (fillTemplate(state, step.args, flow) as string[]) : undefined,
    cwd: path.resolve(state.cwd, step.cwd ?? '.'),
    env: step.env ? (fillTemplate(state, step.env, flow) as Record<string, string>) : undefined,
    timeoutMs: step.timeout,
  });
  if (result.code !== step.exitCode) {
    throw new ScenarioRunError(
      'step-failed',
      `\`${result.commandLine}\` exited with ${result.code ?? result.signal ?? '?'} (expected ${step.exitCode})` +
        `${result.tail ? `; last output:\n${result.tail}` : ''}`,
    );
  }
}

async function targetStep(state: RunState, step: TargetStep, flow: RunFlow | undefined): Promise<void> {
  const capability = state.target.steps?.[step.name];
  if (!capability) throw new ScenarioRunError('step-failed', `the target has no step "${step.name}"`);
  const args = fillTemplate(state, step.args, flow) as Record<string, unknown>;
  // A step whose schema is not an object took its whole value (see createScenarioSchema).
  const whole = !(capability.schema instanceof z.ZodObject);
  await capability.run(state.started, whole ? args['value'] : args, capabilityContext(state, flow));
}

async function runWait(state: RunState, step: WaitStep): Promise<void> {
  if (step.ms !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, step.ms));
    return;
  }
  const type = step.for;
  const flow = step.flow === undefined ? undefined : flowNamed(state, step.flow);
  const within = step.within ?? Math.max(1, state.deadline - Date.now());
  await eventually(
    () =>
      (flow ? state.log.byCorrelation(flow.correlationId) : state.log.all()).find(
        (event) => event.identity?.eventType === type,
      ),
    {
      within,
      changes: state.log,
      description: `wait for ${type ?? '?'}${flow ? ` in flow ${flow.name}` : ''}`,
    },
  ).catch((caught: unknown) => {
    throw new ScenarioRunError(
      'step-failed',
      `wait: no ${type ?? '?'} observed${flow ? ` in flow ${flow.name}` : ''} within ${within} ms`,
      { cause: caught },
    );
  });
}

/** The AMQP properties a step set (templates filled), without the ones it left out. */
function definedOnly(properties: NonNullable<PublishStep['properties']>): {
  messageId?: string;
  correlationId?: string;
  type?: string;
  contentType?: string;
} {
  return Object.fromEntries(Object.entries(properties).filter(([, item]) => typeof item === 'string'));
}

function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}
