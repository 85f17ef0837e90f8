import type { EventDefinition } from '../../events/define-event';
import type { JsonSchemaNode } from '../_internals/json-schema';
import { payloadJsonSchema } from '../compat/schema-snapshots';

/** One field that (probably) carries sensitive data. */
export interface SensitiveField {
  readonly eventType: string;
  /** Dotted path in the payload (`payment.cardNumber`, `items[].note`). */
  readonly path: string;
  readonly rule: 'sensitive-name' | 'card-number-value';
  readonly message: string;
}

/** The verdict of `lintCatalog`. */
export interface CatalogLintReport {
  readonly ok: boolean;
  readonly findings: readonly SensitiveField[];
}

/** Field names (lower-cased, separators removed) that carry payment secrets, credentials or identity numbers. */
const sensitiveNames: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /(card|cc|credit)(number|num|no)$|^creditcard$|^pan$/, what: 'a card number (PAN)' },
  { pattern: /^(cvv|cvc|cvv2|cvc2|cid)$|securitycode|cardverification/, what: 'a card security code' },
  { pattern: /password|passwd|^pwd$|passphrase/, what: 'a password' },
  { pattern: /secret|apikey|accesstoken|privatekey/, what: 'a secret or credential' },
  { pattern: /^pin$|pincode|^ssn$|socialsecurity|^iban$/, what: 'a PIN or identity/account number' },
];

/**
 * Fails on fields that carry sensitive data, which events must never do (payloads are logged, stored in the event
 * log and copied to every consumer): by field name (anywhere in the schema, optional fields too) and by example
 * value (a Luhn-valid 13–19 digit number is a card number whatever the field is called).
 */
export function lintCatalog(definitions: readonly EventDefinition[]): CatalogLintReport {
  const findings: SensitiveField[] = [];
  for (const definition of definitions) {
    const versions = [{ payload: definition.payload }, ...definition.history];
    const seen = new Set<string>();
    for (const version of versions) {
      for (const path of propertyPaths(payloadJsonSchema(version.payload), '')) {
        const key = path.split('.').at(-1)?.replace(/\[\]$/, '') ?? path;
        const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
        const hit = sensitiveNames.find((entry) => entry.pattern.test(normalized));
        if (hit && !seen.has(path)) {
          seen.add(path);
          findings.push({
            eventType: definition.type,
            path,
            rule: 'sensitive-name',
            message: `${definition.type}: field "${path}" looks like ${hit.what}; events must not carry it`,
          });
        }
      }
    }
    for (const [path, value] of stringLeaves(definition.example, '')) {
      if (looksLikeCardNumber(value)) {
        findings.push({
          eventType: definition.type,
          path,
          rule: 'card-number-value',
          message: `${definition.type}: the example of "${path}" is a Luhn-valid card number; events must not carry card data`,
        });
      }
    }
  }
  return { ok: findings.length === 0, findings };
}

function propertyPaths(node: JsonSchemaNode, path: string): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const at = path ? `${path}.${key}` : key;
    paths.push(at, ...propertyPaths(child, at));
  }
  if (node.items && typeof node.items === 'object') paths.push(...propertyPaths(node.items, `${path}[]`));
  for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) {
    paths.push(...propertyPaths(branch, path));
  }
  if (typeof node.additionalProperties === 'object')
    paths.push(...propertyPaths(node.additionalProperties, `${path}.*`));
  return paths;
}

function stringLeaves(value: unknown, path: string): [string, string][] {
  if (typeof value === 'string') return [[path || '(payload)', value]];
  if (typeof value === 'number' && Number.isInteger(value)) return [[path || '(payload)', String(value)]];
  if (Array.isArray(value)) return value.flatMap((item) => stringLeaves(item, `${path}[]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, child]) =>
      stringLeaves(child, path ? `${path}.${key}` : key),
    );
  }
  return [];
}

/** 13–19 digits (spaces or dashes allowed between groups) passing the Luhn check. */
export function looksLikeCardNumber(value: string): boolean {
  if (!/^\d[\d -]{11,22}\d$/.test(value)) return false;
  const digits = value.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
