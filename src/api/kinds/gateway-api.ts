/**
 * gateway.networking.k8s.io kinds: Gateway, HTTPRoute, GRPCRoute. Each file registers its kind;
 * this one only gathers them and their types.
 */
import "./gateway-api-gateway.js";
import "./gateway-api-httproute.js";
import "./gateway-api-grpcroute.js";

export type { GatewayApiGatewaySpec } from "./gateway-api-gateway.js";
export type { HTTPRouteSpec } from "./gateway-api-httproute.js";
export type { GRPCRouteSpec } from "./gateway-api-grpcroute.js";
