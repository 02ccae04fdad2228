/**
 * security.istio.io kinds: AuthorizationPolicy (security-authz.ts), PeerAuthentication and
 * RequestAuthentication (security-authn.ts). Importing this module registers them; the exports
 * are what analyzers and the policy compiler need.
 */
export { authorizationPolicySpec, pathProblem, type AuthorizationPolicySpec } from "./security-authz.js";
export {
  jwksProblem,
  peerAuthenticationSpec,
  requestAuthenticationSpec,
  type PeerAuthenticationSpec,
  type RequestAuthenticationSpec,
} from "./security-authn.js";
export {
  classifyWhenKey,
  isL7WhenKey,
  l7Attributes,
  L7_OPERATION_FIELDS,
  L7_SOURCE_FIELDS,
  type L7AttributeUse,
} from "./security-attributes.js";
export {
  DRY_RUN_ANNOTATION,
  policyTargetRef,
  wildcardProblem,
  type PolicyTargetRef,
} from "./security-common.js";
