/**
 * The small rule objects a policy compiles into. Each has `matches(facts)` and `toString()` (in
 * Istio's own notation, so `ambit authz check` prints what the user wrote). Semantics are
 * ztunnel's (src/rbac.rs Authorization::matches / matches_internal):
 *   - a field list holds when any value matches; its `not*` twin when none does; both when set;
 *   - an L4Match holds when every field it sets holds; an EMPTY match never holds (ztunnel skips it);
 *   - a clause holds when any of its matches holds; an EMPTY clause always holds;
 *   - a rule holds when all its clauses hold (so a rule with no clause matches every connection).
 * The control plane never emits empty matches or clauses (authz-rules.ts); the conventions are kept
 * so a policy from any source means what it means to ztunnel.
 */
import type { AddressMatch, L4Match, StringMatch } from "../model/authorization.js";
import type { ConnectionFacts } from "./facts.js";
import { CidrBlock } from "./ip.js";

export interface RuleObject {
  matches(facts: ConnectionFacts): boolean;
  toString(): string;
}

/** One value of a field list: a string pattern, a CIDR or a port. */
interface ValueTest {
  test(facts: ConnectionFacts): boolean;
  toString(): string;
}

/** Istio's string rules: exact, "x*" prefix, "*x" suffix, "*" presence (any non-empty value). */
export function stringMatches(m: StringMatch, value: string): boolean {
  switch (m.kind) {
    case "exact":
      return value === m.value;
    case "prefix":
      return value.startsWith(m.value);
    case "suffix":
      return value.endsWith(m.value);
    case "presence":
      return value !== "";
  }
}

export function formatStringMatch(m: StringMatch): string {
  switch (m.kind) {
    case "exact":
      return m.value;
    case "prefix":
      return `${m.value}*`;
    case "suffix":
      return `*${m.value}`;
    case "presence":
      return "*";
  }
}

const principalTest = (m: StringMatch): ValueTest => ({
  // No SPIFFE identity (plaintext): no principal pattern matches, not even "*".
  test: (f) => f.principal !== undefined && stringMatches(m, f.principal),
  toString: () => formatStringMatch(m),
});

const namespaceTest = (m: StringMatch): ValueTest => ({
  test: (f) => stringMatches(m, f.namespace),
  toString: () => formatStringMatch(m),
});

function cidrTest(a: AddressMatch, side: "sourceIp" | "destinationIp"): ValueTest {
  const block = CidrBlock.parse(a.cidr);
  // An unparsable block (never produced by the control plane) can match nothing.
  if (!block) return { test: () => false, toString: () => `invalid:${a.cidr}` };
  return { test: (f) => block.contains(f[side]), toString: () => block.text };
}

const portTest = (p: number): ValueTest => ({
  test: (f) => f.destinationPort === p,
  toString: () => String(p),
});

/** One non-empty field list of a match, positive ("any of") or negated ("none of"). */
class FieldRule implements RuleObject {
  constructor(
    private readonly field: string,
    private readonly values: readonly ValueTest[],
    private readonly negated: boolean,
  ) {}

  matches(facts: ConnectionFacts): boolean {
    const any = this.values.some((v) => v.test(facts));
    return this.negated ? !any : any;
  }

  toString(): string {
    return `${this.field} ${this.negated ? "not in" : "in"} [${this.values.join(", ")}]`;
  }
}

/** An L4Match: every field it sets must hold. */
export class MatchRule implements RuleObject {
  constructor(private readonly fields: readonly FieldRule[]) {}

  matches(facts: ConnectionFacts): boolean {
    return this.fields.length > 0 && this.fields.every((f) => f.matches(facts));
  }

  toString(): string {
    return this.fields.length === 0 ? "(empty match: never holds)" : this.fields.join(" and ");
  }
}

/** A clause (one `from`, `to` or `when` group): any of its matches. */
export class ClauseRule implements RuleObject {
  constructor(private readonly matchRules: readonly MatchRule[]) {}

  matches(facts: ConnectionFacts): boolean {
    return this.matchRules.length === 0 || this.matchRules.some((m) => m.matches(facts));
  }

  toString(): string {
    if (this.matchRules.length === 0) return "(any)";
    if (this.matchRules.length === 1) return this.matchRules.join("");
    return `(${this.matchRules.map((m) => `(${m.toString()})`).join(" or ")})`;
  }
}

/** A rule (one entry of spec.rules): all of its clauses. */
export class PolicyRule implements RuleObject {
  constructor(private readonly clauses: readonly ClauseRule[]) {}

  matches(facts: ConnectionFacts): boolean {
    return this.clauses.every((c) => c.matches(facts));
  }

  toString(): string {
    return this.clauses.length === 0 ? "any connection" : this.clauses.join(" and ");
  }
}

export function compileMatch(m: L4Match): MatchRule {
  const fields: FieldRule[] = [];
  const add = (name: string, values: ValueTest[], negated: boolean) => {
    if (values.length > 0) fields.push(new FieldRule(name, values, negated));
  };
  add("principals", m.principals.map(principalTest), false);
  add("principals", m.notPrincipals.map(principalTest), true);
  add("namespaces", m.namespaces.map(namespaceTest), false);
  add("namespaces", m.notNamespaces.map(namespaceTest), true);
  add(
    "source.ip",
    m.sourceIps.map((a) => cidrTest(a, "sourceIp")),
    false,
  );
  add(
    "source.ip",
    m.notSourceIps.map((a) => cidrTest(a, "sourceIp")),
    true,
  );
  add(
    "destination.ip",
    m.destinationIps.map((a) => cidrTest(a, "destinationIp")),
    false,
  );
  add(
    "destination.ip",
    m.notDestinationIps.map((a) => cidrTest(a, "destinationIp")),
    true,
  );
  add("ports", m.destinationPorts.map(portTest), false);
  add("ports", m.notDestinationPorts.map(portTest), true);
  return new MatchRule(fields);
}
