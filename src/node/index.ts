/** Local mode's kernel side: network namespaces, the node agent's rules, the native addon. */
export { applyNodeRules, readNodeRules, syncNodeRules } from "./agent.js";
export { addressInCidr, cidrContains, fabricNodeIp, parseIpv4Cidr } from "./cidr.js";
export { destroyAll, listLeftovers, type Leftovers } from "./leftovers.js";
export {
  assertClusterPrefix,
  fabricNetns,
  HOST_VETH_PREFIX,
  hostVethName,
  isClusterPrefix,
  newClusterPrefix,
  nodeNetns,
  POD_GATEWAY_ADDRESS,
  podNetns,
} from "./names.js";
export {
  loadNativeAddon,
  nativeAddonAvailable,
  originalDestination,
  transparentSocketFd,
  type OriginalDst,
} from "./native.js";
export { listNetns, pidsInNetns } from "./netns.js";
export { hostsFile, POD_NAMESERVER, resolvConf } from "./pod-files.js";
export { checkPrerequisites, type Tools } from "./prereq.js";
export {
  CHAINS,
  endpointProbability,
  missingJumps,
  nodeRules,
  REPLY_CHAIN,
  REPLY_MARK,
  REPLY_ROUTE_TABLE,
  replyMarkRules,
  replyRoutingCommands,
  withMissingJumps,
  type NodeRulePorts,
  type NodeRulesInput,
  type NodeRulesPod,
  type NodeRulesService,
} from "./rules.js";
export {
  addNode,
  addPod,
  createFabric,
  DEFAULT_FABRIC_SUBNET,
  removeNode,
  removePod,
  setPeerRoutes,
  type FabricInfo,
  type NodeInfo,
  type NodeSpec,
  type PeerSpec,
  type PodInfo,
  type PodSpec,
  type RemoveOptions,
} from "./topology.js";
