/**
 * Authorization: everything is allowed unless chosen verb/resource pairs are forbidden, or a Role
 * (the YAML a cluster admin would apply) is loaded, in which case only its rules allow anything.
 */
import { parseAllDocuments } from 'yaml';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

export interface AuthorizationRequest {
  user: string;
  verb: string;
  /** `pods`, `pods/log`, `pods/exec`, `namespaces` */
  resource: string;
  namespace?: string;
  name?: string;
}

function ruleAllows(rule: PolicyRule, request: AuthorizationRequest): boolean {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  const verbs = rule.verbs ?? [];
  if (!groups.includes('') && !groups.includes('*')) return false;
  if (!resources.includes(request.resource) && !resources.includes('*')) return false;
  if (!verbs.includes(request.verb) && !verbs.includes('*')) return false;
  if (rule.resourceNames?.length && (!request.name || !rule.resourceNames.includes(request.name))) return false;
  return true;
}

/** Reads the rules of every Role or ClusterRole document in a YAML text. */
export function rulesFromRoleYaml(text: string): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const document of parseAllDocuments(text)) {
    const value = document.toJSON() as { kind?: string; rules?: PolicyRule[] } | null;
    if (value && (value.kind === 'Role' || value.kind === 'ClusterRole')) rules.push(...(value.rules ?? []));
  }
  if (rules.length === 0) throw new Error('the YAML holds no Role or ClusterRole with rules');
  return rules;
}

export class Authorizer {
  private readonly forbidden = new Set<string>();
  private roleRules: PolicyRule[] | undefined;

  /** Forbids `verb` on `resource` (`*` for any) for every user. */
  forbid(verb: string, resource: string): void {
    this.forbidden.add(`${verb} ${resource}`);
  }

  allow(verb: string, resource: string): void {
    this.forbidden.delete(`${verb} ${resource}`);
  }

  /** Only the rules of this Role allow requests from now on; undefined lifts the restriction. */
  useRole(rules: PolicyRule[] | undefined): void {
    this.roleRules = rules;
  }

  clear(): void {
    this.forbidden.clear();
    this.roleRules = undefined;
  }

  allows(request: AuthorizationRequest): boolean {
    for (const candidate of [`${request.verb} ${request.resource}`, `* ${request.resource}`, `${request.verb} *`, '* *']) {
      if (this.forbidden.has(candidate)) return false;
    }
    if (!this.roleRules) return true;
    return this.roleRules.some((rule) => ruleAllows(rule, request));
  }
}
