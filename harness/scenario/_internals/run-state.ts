import { v7 as uuidv7 } from 'uuid';
import type { EventLog } from '../../observe/event-log';
import type { ObservedEvent } from '../../observe/observed-event';
import type { CapabilityContext, CapabilityFlow, StartedTarget, Target } from '../../target/target';
import type { ScenarioSpec } from '../scenario-schema';
import { fillPlaceholders } from './placeholders';

/** A flow the scenario started. Its correlation id is pinned once the first of its events is seen. */
export interface RunFlow {
  readonly name: string;
  /** The `as` of the step that started it (shared by the flows of one `count`). */
  readonly alias: string | undefined;
  readonly key: string;
  correlationId: string;
  /** True once an observed event confirmed the correlation id (or the adapter read it off the published message). */
  pinned: boolean;
  readonly startedAt: number;
}

/** Everything the steps, probes and checks of one run share. */
export interface RunState {
  readonly spec: ScenarioSpec;
  readonly target: Target;
  readonly started: StartedTarget;
  readonly log: EventLog;
  readonly namespace: string;
  readonly flows: RunFlow[];
  readonly memory: Map<string, unknown>;
  readonly uuids: Map<string, string>;
  /** Epoch ms by which every flow must be terminal (set when `when` starts). */
  deadline: number;
  /** Where `run` steps and probes run (relative `cwd`s resolve against it). */
  readonly cwd: string;
  /** True once the run is over or abandoned: long steps stop waiting. */
  readonly abandoned: () => boolean;
}

/** Starts a flow: a fresh key and correlation id (v7 uuids, so they sort by time). */
export function newFlow(state: RunState, name: string, alias: string | undefined): RunFlow {
  const flow: RunFlow = {
    name,
    alias,
    key: uuidv7(),
    correlationId: uuidv7(),
    pinned: false,
    startedAt: Date.now(),
  };
  state.flows.push(flow);
  return flow;
}

/** The flow named `name` (a step's `flow:`, `flows.NAME`); the first of a `count` group by its bare name. */
export function flowNamed(state: RunState, name: string): RunFlow | undefined {
  return state.flows.find((flow) => flow.name === name) ?? state.flows.find((flow) => flow.alias === name);
}

/** Fills `{{…}}` placeholders for a step or probe running in `flow` (if any). Unknown names throw. */
export function fillTemplate(state: RunState, value: unknown, flow: RunFlow | undefined): unknown {
  return fillPlaceholders(value, (expression) => resolveExpression(state, expression, flow));
}

function resolveExpression(state: RunState, expression: string, flow: RunFlow | undefined): string {
  const uuid = /^uuid\s+(\S+)$/.exec(expression);
  if (uuid?.[1]) {
    let id = state.uuids.get(uuid[1]);
    if (!id) {
      id = uuidv7();
      state.uuids.set(uuid[1], id);
    }
    return id;
  }
  const [root, ...rest] = expression.split('.');
  const fail = (why: string): never => {
    throw Object.assign(new Error(`{{${expression}}}: ${why}`), { code: 'template-failed' });
  };
  const field = (of: RunFlow, name: string | undefined): string => {
    if (name === 'key') return of.key;
    if (name === 'correlationId') return of.correlationId;
    if (name === 'name') return of.name;
    return fail(`a flow has key, correlationId and name, not "${name ?? ''}"`);
  };
  switch (root) {
    case 'flow':
      return flow ? field(flow, rest[0]) : fail('this step runs in no flow: give it `as:` or `flow:`');
    case 'flows': {
      const field_ = rest.at(-1);
      const name = rest.slice(0, -1).join('.');
      const named = flowNamed(state, name);
      return named ? field(named, field_) : fail(`no flow named "${name}" has started yet`);
    }
    case 'env': {
      const value = process.env[rest.join('.')];
      return value ?? fail(`environment variable ${rest.join('.')} is not set`);
    }
    case 'run':
      return state.namespace;
    case 'target': {
      const value = state.memory.get(rest.join('.'));
      if (value === undefined) return fail(`the target remembered no "${rest.join('.')}"`);
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    default:
      return fail('unknown placeholder');
  }
}

/** What a target's step or probe sees of the run. */
export function capabilityContext(state: RunState, flow: RunFlow | undefined): CapabilityContext {
  const view = (of: RunFlow): CapabilityFlow => ({
    name: of.name,
    key: of.key,
    correlationId: of.correlationId,
  });
  const flows = new Map<string, CapabilityFlow>();
  for (const of of state.flows) {
    flows.set(of.name, view(of));
    if (of.alias !== undefined && !flows.has(of.alias)) flows.set(of.alias, view(of));
  }
  return {
    namespace: state.namespace,
    flows,
    memory: state.memory,
    ...(flow ? { flow: view(flow) } : {}),
  };
}

/**
 * Pins flows to their correlation id as events arrive: a flow started by an HTTP call or a command only knows its
 * key, and formats without a correlation id use the business key as one. An event belongs to an unpinned flow when
 * its correlation id is the flow's correlation id or key, or its business key is the flow's key.
 */
export function pinFlows(state: RunState, event: ObservedEvent): void {
  const identity = event.identity;
  if (!identity) return;
  for (const flow of state.flows) {
    if (flow.pinned) continue;
    if (
      identity.correlationId === flow.correlationId ||
      identity.correlationId === flow.key ||
      identity.businessKey === flow.key
    ) {
      flow.correlationId = identity.correlationId;
      flow.pinned = true;
    }
  }
}
