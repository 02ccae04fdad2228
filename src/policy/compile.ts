/**
 * An Authorization compiled once into rule objects (rules.ts), so that a connection is checked
 * without re-reading the model, and a decision can say which rule matched.
 *
 * A policy with no rules matches nothing (ztunnel src/rbac.rs: "empty rules" -> no match): an
 * ALLOW policy without rules allows nothing, a DENY policy without rules denies nothing — the
 * meaning Istio documents for `spec: {}` (allow-nothing) and for a DENY policy without rules.
 */
import type { Authorization, AuthorizationAction, AuthorizationScope } from "../model/authorization.js";
import { connectionFacts, type ConnectionFacts } from "./facts.js";
import { ClauseRule, compileMatch, PolicyRule } from "./rules.js";
import type { ConnectionAttributes } from "./types.js";

export class CompiledPolicy {
  /** "<namespace>/<name>", the policy's xDS resource name and how decisions name it. */
  readonly key: string;
  readonly action: AuthorizationAction;
  readonly scope: AuthorizationScope;
  readonly dryRun: boolean;
  readonly rules: readonly PolicyRule[];

  constructor(readonly source: Authorization) {
    this.key = `${source.namespace}/${source.name}`;
    this.action = source.action;
    this.scope = source.scope;
    this.dryRun = source.dryRun;
    this.rules = source.rules.map(
      (r) => new PolicyRule(r.clauses.map((c) => new ClauseRule(c.matches.map(compileMatch)))),
    );
  }

  /** Index of the first rule that matches, or undefined when none does. */
  matchingRule(facts: ConnectionFacts): number | undefined {
    const i = this.rules.findIndex((r) => r.matches(facts));
    return i < 0 ? undefined : i;
  }

  matches(conn: ConnectionAttributes | ConnectionFacts): boolean {
    const facts = "attributes" in conn ? conn : connectionFacts(conn);
    return this.matchingRule(facts) !== undefined;
  }

  toString(): string {
    const flags = [this.source.scope, ...(this.dryRun ? ["dry-run"] : [])].join(", ");
    const head = `${this.action} ${this.key} (${flags})`;
    const body =
      this.rules.length === 0
        ? ["  (no rules: matches no connection)"]
        : this.rules.map((r, i) => `  rule ${i}: ${r.toString()}`);
    const warning = this.source.l7Warning ? [`  warning: ${this.source.l7Warning}`] : [];
    return [head, ...body, ...warning].join("\n");
  }
}

export function compilePolicy(a: Authorization): CompiledPolicy {
  return new CompiledPolicy(a);
}
