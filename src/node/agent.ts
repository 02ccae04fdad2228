/**
 * Applying a node's rules (rules.ts) inside its namespace. One iptables-restore --noflush per
 * apply: our chains are declared (which flushes them) and refilled in the same transaction, so a
 * packet sees either the old rule set or the new one, never a half-written one; the rest of the
 * node's nat table is left as it is. Enrolling or un-enrolling a live pod is just another apply.
 */
import { checkPrerequisites } from "./prereq.js";
import { netnsExec } from "./exec.js";
import { nodeRules, withMissingJumps, type NodeRulesInput } from "./rules.js";

const HINT = "check that the kernel has the iptables nat modules (REDIRECT, DNAT, statistic, MASQUERADE)";

// netns -> the last apply queued for it. Applies to one node run one after the other, so the
// last rule set asked for is the one that stays, and two first applies cannot both add the jumps.
const queues = new Map<string, Promise<void>>();

/**
 * Writes `text` (from nodeRules()) into the node namespace's nat table, first adding the jumps
 * from PREROUTING/OUTPUT/POSTROUTING to our chains when they are not there yet (idempotent).
 */
export function applyNodeRules(netns: string, text: string): Promise<void> {
  const previous = queues.get(netns) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => apply(netns, text));
  const tail = mine.catch(() => undefined);
  queues.set(netns, tail);
  void tail.then(() => {
    if (queues.get(netns) === tail) queues.delete(netns);
  });
  return mine;
}

async function apply(netns: string, text: string): Promise<void> {
  const tools = checkPrerequisites();
  const saved = await netnsExec(netns, [tools.iptablesSave, "-t", "nat"], {
    code: "IPTABLES_FAILED",
    what: `cannot read the nat table of ${netns}`,
    hint: HINT,
  });
  await netnsExec(netns, [tools.iptablesRestore, "--noflush"], {
    input: withMissingJumps(text, saved),
    code: "IPTABLES_FAILED",
    what: `cannot apply the node rules in ${netns}`,
    hint: HINT,
  });
}

/** nodeRules() then applyNodeRules(), for callers that do not need the text. */
export async function syncNodeRules(netns: string, input: NodeRulesInput): Promise<string> {
  const text = nodeRules(input);
  await applyNodeRules(netns, text);
  return text;
}

/** The node's current nat table as iptables-save prints it (for `ambit describe` and debugging). */
export async function readNodeRules(netns: string): Promise<string> {
  const tools = checkPrerequisites();
  return netnsExec(netns, [tools.iptablesSave, "-t", "nat"], {
    code: "IPTABLES_FAILED",
    what: `cannot read the nat table of ${netns}`,
    hint: HINT,
  });
}
