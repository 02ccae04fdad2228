/**
 * Applying a node's rules (rules.ts) inside its namespace. One iptables-restore --noflush per
 * apply: our chains are declared (which flushes them) and refilled in the same transaction, so a
 * packet sees either the old rule set or the new one, never a half-written one; the rest of the
 * node's tables is left as it is. Enrolling or un-enrolling a live pod is just another apply.
 *
 * Each apply also (re)writes the mangle rule that marks replies to the node proxy's transparent
 * sockets, and the first one in a namespace adds the policy routing for them (rules.ts
 * replyMarkRules/replyRoutingCommands), so the proxy may dial pods from the original client's IP.
 * All of it lives in the node's namespace and goes away with it (removeNode).
 */
import { checkPrerequisites } from "./prereq.js";
import { ipBatch, netnsExec } from "./exec.js";
import {
  missingJumps,
  nodeRules,
  REPLY_JUMPS,
  replyMarkRules,
  replyRoutingCommands,
  withMissingJumps,
  type NodeRulesInput,
} from "./rules.js";

const HINT =
  "check that the kernel has the iptables nat modules (REDIRECT, DNAT, statistic, MASQUERADE) and xt_socket";

// netns -> the last apply queued for it. Applies to one node run one after the other, so the
// last rule set asked for is the one that stays, and two first applies cannot both add the jumps.
const queues = new Map<string, Promise<void>>();

/**
 * Writes `text` (from nodeRules()) into the node namespace's nat table, first adding the jumps
 * from PREROUTING/OUTPUT/POSTROUTING to our chains when they are not there yet (idempotent), and
 * the reply marking and routing for the node proxy's transparent connections.
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
  // Every table at once (nat and mangle): our chain names differ between them.
  const saved = await netnsExec(netns, [tools.iptablesSave], {
    code: "IPTABLES_FAILED",
    what: `cannot read the iptables rules of ${netns}`,
    hint: HINT,
  });
  // No jump to the reply chain yet: a namespace we have not prepared (or one someone flushed).
  // The routing goes in before the mark that uses it.
  if (missingJumps(saved, REPLY_JUMPS).length > 0) await ensureReplyRouting(netns);
  await netnsExec(netns, [tools.iptablesRestore, "--noflush"], {
    input: withMissingJumps(text, saved) + withMissingJumps(replyMarkRules(), saved, REPLY_JUMPS),
    code: "IPTABLES_FAILED",
    what: `cannot apply the node rules in ${netns}`,
    hint: HINT,
  });
}

/** Adds the fwmark rule and local route for replies to transparent sockets (idempotent). */
async function ensureReplyRouting(netns: string): Promise<void> {
  const tools = checkPrerequisites();
  const rules = await netnsExec(netns, [tools.ip, "-4", "rule", "show"], {
    code: "IP_COMMAND_FAILED",
    what: `cannot list the routing rules of ${netns}`,
  });
  await ipBatch(netns, replyRoutingCommands(rules), `cannot add the proxy's reply routing in ${netns}`);
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
