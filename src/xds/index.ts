/**
 * xDS: how the control plane pushes workloads, services, policies and waypoint config to
 * proxies (delta ADS over gRPC), and how proxies receive it.
 */
export * from "./typeurls.js";
export {
  XdsServer,
  type XdsServerOptions,
  type XdsAuthResult,
  type XdsAuthenticate,
} from "./server/server.js";
export type { XdsProxyStatus, XdsTypeStatus } from "./server/status.js";
export type { NackRecord } from "./server/subscription.js";
export type { Clock } from "./server/clock.js";
export type { StoredResource, TypeResources } from "./server/store.js";
export type { AckWaitOptions } from "./server/waiters.js";
export { XdsClient, type XdsClientOptions, type XdsClientEvents } from "./client/client.js";
export { XdsSubscription, type XdsChange, type XdsDecode, type XdsRejection } from "./client/subscription.js";
export type { BackoffOptions } from "./client/backoff.js";
export type { XdsNode } from "./wire/discovery.js";
export type { JsonValue } from "./wire/struct.js";
export {
  CONTROL_PLANE_SERVER_NAME,
  controlPlaneChannelOptions,
  DELTA_ADS_PATH,
  deltaAdsService,
} from "./wire/service.js";
export {
  addressResourceName,
  decodeAddress,
  encodeAddress,
  encodeService,
  encodeWorkload,
  type AddressResource,
} from "./convert/address.js";
export {
  authorizationResourceName,
  decodeAuthorization,
  encodeAuthorization,
} from "./convert/authorization.js";
export { configResourceName, decodeConfig, encodeConfig, type XdsConfigDocument } from "./convert/config.js";
export { XDS_INVALID_RESOURCE } from "./convert/invalid.js";
