/**
 * Label and field selectors with the apiserver's grammar (k8s.io/apimachinery/pkg/labels and
 * pkg/fields): pure parsing and matching, errors as the messages a real server answers with.
 */

export type LabelRequirement =
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export class SelectorError extends Error {}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 316) throw new SelectorError(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) throw new SelectorError(`unable to parse requirement: invalid label value: "${value}": at key: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  return value;
}

function parseRequirement(raw: string): LabelRequirement {
  const text = raw.trim();
  if (text === '') throw new SelectorError('unable to parse requirement: found \'\', expected: !, identifier, or \'end of string\'');
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (setMatch) {
    const values = setMatch[3].split(',').map((v) => v.trim()).filter((v, _index, all) => v !== '' || all.length === 1).map(checkValue);
    return { key: checkKey(setMatch[1]), op: setMatch[2] as 'in' | 'notin', values };
  }
  if (text.startsWith('!')) return { key: checkKey(text.slice(1).trim()), op: '!exists' };
  const opMatch = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(text);
  if (opMatch) {
    const key = checkKey(opMatch[1]);
    const value = opMatch[3].trim();
    if (opMatch[2] === '>' || opMatch[2] === '<') {
      const number = Number(value);
      if (!Number.isInteger(number)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
      return { key, op: opMatch[2] === '>' ? 'gt' : 'lt', value: number };
    }
    return { key, op: opMatch[2] === '!=' ? '!=' : '=', value: checkValue(value) };
  }
  if (/\s/.test(text)) throw new SelectorError(`unable to parse requirement: found '${text.split(/\s+/)[1]}', expected: in, notin, =, ==, !=, gt, lt`);
  return { key: checkKey(text), op: 'exists' };
}

export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  return splitTopLevel(selector).map(parseRequirement);
}

export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const all = labels ?? {};
  return requirements.every((req) => {
    const has = Object.hasOwn(all, req.key);
    const value = all[req.key];
    switch (req.op) {
      case 'exists': return has;
      case '!exists': return !has;
      case '=': return has && value === req.value;
      case '!=': return !has || value !== req.value;
      case 'in': return has && req.values.includes(value);
      case 'notin': return !has || !req.values.includes(value);
      case 'gt': return has && Number.isInteger(Number(value)) && Number(value) > req.value;
      case 'lt': return has && Number.isInteger(Number(value)) && Number(value) < req.value;
    }
  });
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** The field labels the pod registry supports (pkg/registry/core/pod/strategy.go PodToSelectableFields). */
export const POD_FIELDS: Record<string, (pod: PodLike) => string> = {
  'metadata.name': (pod) => pod.metadata?.name ?? '',
  'metadata.namespace': (pod) => pod.metadata?.namespace ?? '',
  'spec.nodeName': (pod) => pod.spec?.nodeName ?? '',
  'spec.restartPolicy': (pod) => pod.spec?.restartPolicy ?? '',
  'spec.schedulerName': (pod) => pod.spec?.schedulerName ?? '',
  'spec.serviceAccountName': (pod) => pod.spec?.serviceAccountName ?? '',
  'spec.hostNetwork': (pod) => String(pod.spec?.hostNetwork ?? false),
  'status.phase': (pod) => pod.status?.phase ?? '',
  'status.podIP': (pod) => pod.status?.podIP ?? '',
  'status.nominatedNodeName': (pod) => pod.status?.nominatedNodeName ?? '',
};

export const NAMESPACE_FIELDS: Record<string, (ns: PodLike) => string> = {
  'metadata.name': (ns) => ns.metadata?.name ?? '',
  'status.phase': (ns) => ns.status?.phase ?? '',
};

export interface PodLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { nodeName?: string; restartPolicy?: string; schedulerName?: string; serviceAccountName?: string; hostNetwork?: boolean };
  status?: { phase?: string; podIP?: string; nominatedNodeName?: string };
}

export function parseFieldSelector(selector: string | undefined, supported: Record<string, unknown>): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  return selector.split(',').map((raw) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!match) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${raw}'`);
    if (!Object.hasOwn(supported, match[1])) throw new SelectorError(`field label not supported: ${match[1]}`);
    return { field: match[1], op: match[2] === '!=' ? '!=' : '=', value: match[3] };
  });
}

export function matchesFields(requirements: FieldRequirement[], object: PodLike, fields: Record<string, (o: PodLike) => string>): boolean {
  return requirements.every((req) => {
    const actual = fields[req.field](object);
    return req.op === '=' ? actual === req.value : actual !== req.value;
  });
}
