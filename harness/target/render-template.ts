import { v7 as uuidv7 } from 'uuid';

/** The values a flow template can refer to. */
export interface TemplateValues {
  readonly flow: {
    readonly key: string;
    readonly index: number;
    readonly name: string;
    readonly correlationId: string;
  };
}

const PLACEHOLDER = /\{\{\s*([A-Za-z.]+)\s*\}\}/g;

/**
 * Fills a manifest template: `{{flow.key}}`, `{{flow.index}}`, `{{flow.name}}`, `{{flow.correlationId}}`,
 * `{{uuid}}` (a new UUID v7 per occurrence), `{{now}}` (ISO time). A string that is exactly one placeholder
 * becomes its value (so `{{flow.index}}` stays a number); unknown placeholders throw, naming them.
 */
export function renderTemplate(template: unknown, values: TemplateValues): unknown {
  if (typeof template === 'string') return renderString(template, values);
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, values));
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => [key, renderTemplate(value, values)]),
    );
  }
  return template;
}

/** Whether a template refers to `{{name}}` anywhere (e.g. `flow.correlationId`). */
export function templateUses(template: unknown, name: string): boolean {
  if (typeof template === 'string') return [...template.matchAll(PLACEHOLDER)].some((m) => m[1] === name);
  if (Array.isArray(template)) return template.some((item) => templateUses(item, name));
  if (typeof template === 'object' && template !== null) {
    return Object.values(template).some((value) => templateUses(value, name));
  }
  return false;
}

function renderString(text: string, values: TemplateValues): unknown {
  const whole = /^\{\{\s*([A-Za-z.]+)\s*\}\}$/.exec(text);
  if (whole) return valueOf(whole[1] as string, values);
  return text.replace(PLACEHOLDER, (_, name: string) => String(valueOf(name, values)));
}

function valueOf(name: string, values: TemplateValues): string | number {
  switch (name) {
    case 'flow.key':
      return values.flow.key;
    case 'flow.index':
      return values.flow.index;
    case 'flow.name':
      return values.flow.name;
    case 'flow.correlationId':
      return values.flow.correlationId;
    case 'uuid':
      return uuidv7();
    case 'now':
      return new Date().toISOString();
    default:
      throw new RangeError(
        `unknown placeholder {{${name}}} (known: flow.key, flow.index, flow.name, flow.correlationId, uuid, now)`,
      );
  }
}
