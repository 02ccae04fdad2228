/**
 * networking.istio.io kinds: VirtualService, DestinationRule, ServiceEntry, WorkloadEntry and
 * the Istio Gateway. Each file registers its kinds; this one only gathers them and their types.
 */
import "./networking-virtualservice-check.js";
import "./networking-destinationrule.js";
import "./networking-serviceentry.js";
import "./networking-gateway.js";

export type { HTTPRoute, VirtualServiceSpec } from "./networking-virtualservice.js";
export type { DestinationRuleSpec, TrafficPolicy } from "./networking-destinationrule.js";
export type { ServiceEntrySpec, WorkloadEntrySpec } from "./networking-serviceentry.js";
export type { IstioGatewaySpec } from "./networking-gateway.js";
