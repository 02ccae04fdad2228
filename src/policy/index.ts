/**
 * Pure L4 authorization and peer authentication: AuthorizationPolicy (as the control plane
 * resolved it into an Authorization) compiled into rule objects and evaluated per connection,
 * and the PeerAuthentication mTLS mode of a workload port. No I/O; shared by the node proxy and
 * `ambit authz check`.
 */
export type { AuthzDecision, ConnectionAttributes, DecidedBy, DryRunResult } from "./types.js";
export { CompiledPolicy, compilePolicy } from "./compile.js";
export { authorize } from "./authorize.js";
export { policiesFor } from "./select.js";
export { connectionFacts, type ConnectionFacts } from "./facts.js";
export {
  ClauseRule,
  MatchRule,
  PolicyRule,
  compileMatch,
  formatStringMatch,
  stringMatches,
  type RuleObject,
} from "./rules.js";
export { CidrBlock, canonicalIp, ipBytes } from "./ip.js";
export { isPeerAuthentication, mtlsMode, type MtlsDecision, type MtlsMode } from "./peer-authentication.js";
