/**
 * Type URLs of the resources Ambit serves over delta ADS. A type URL names the protobuf message
 * inside each google.protobuf.Any and selects the subscription (xDS protocol: "type_url").
 */
const PREFIX = "type.googleapis.com/";

/** istio.workload.Address: workloads (by uid) and services (by "<ns>/<hostname>"). */
export const ADDRESS_TYPE_URL = `${PREFIX}istio.workload.Address`;
/** istio.security.Authorization: L4 policies for node proxies, by "<ns>/<name>". */
export const AUTHORIZATION_TYPE_URL = `${PREFIX}istio.security.Authorization`;
/** ambit.config.v1.ConfigResource: validated documents waypoints compile themselves. */
export const CONFIG_TYPE_URL = `${PREFIX}ambit.config.v1.ConfigResource`;

export const AMBIT_TYPE_URLS: readonly string[] = [ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, CONFIG_TYPE_URL];
