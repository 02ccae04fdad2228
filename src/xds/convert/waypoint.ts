/**
 * WaypointRef <-> istio.workload.GatewayAddress. Ambit names the waypoint by its Service
 * (hostname form of the oneof), which Istio's proxies also understand, and carries the Gateway
 * name and all VIPs in Ambit-only fields. A GatewayAddress written by Istio with the address
 * form decodes too: its one address becomes the waypoint's only VIP.
 */
import { AmbitError } from "../../common/errors.js";
import type { WaypointRef } from "../../model/workload.js";
import type { PbGatewayAddress } from "../wire/resources.js";
import { dropEmpty } from "./empty.js";
import { formatIp, parseIp } from "../../common/ip.js";
import { checkPort, invalidResource } from "./invalid.js";

export function waypointToPb(w: WaypointRef): PbGatewayAddress {
  const slash = w.gateway.indexOf("/");
  return dropEmpty({
    hostname: dropEmpty({ namespace: slash < 0 ? "" : w.gateway.slice(0, slash), hostname: w.hostname }),
    hbone_mtls_port: w.port,
    gateway: w.gateway,
    vips: w.addresses.map((a) => ipBytes(a, "waypoint.addresses")),
  });
}

export function pbToWaypoint(pb: PbGatewayAddress, what: string, path: string): WaypointRef {
  const port = checkPort(what, `${path}.hbone_mtls_port`, pb.hbone_mtls_port ?? 0, false);
  const addresses = (pb.vips ?? []).map((b, i) => ipText(b, what, `${path}.vips[${i}]`));
  let hostname = "";
  let namespace = "";
  if (pb.hostname) {
    hostname = pb.hostname.hostname ?? "";
    namespace = pb.hostname.namespace ?? "";
    if (!hostname) throw invalidResource(what, `${path}.hostname.hostname`, "is required");
  } else if (pb.address) {
    const ip = ipText(pb.address.address ?? new Uint8Array(), what, `${path}.address.address`);
    if (!addresses.includes(ip)) addresses.unshift(ip);
  } else {
    throw invalidResource(what, path, "has neither a hostname nor an address");
  }
  // Istio does not send the Gateway name; its waypoint Service is named after the Gateway.
  const gateway = pb.gateway || (namespace && hostname ? `${namespace}/${hostname.split(".")[0]}` : "");
  return { gateway, hostname, addresses, port };
}

/** Encoding side: a bad IP here is a control plane bug, reported with the field it came from. */
export function ipBytes(ip: string, field: string): Uint8Array {
  const bytes = parseIp(ip);
  if (!bytes) {
    throw new AmbitError(
      "XDS_ENCODE_INVALID",
      `${field}: "${ip}" is not an IP address`,
      "the registry holds an address that is not an IP; the resource is not pushed — report this as a control plane bug",
    );
  }
  return bytes;
}

/** Decoding side: 4 or 16 bytes, else a validation error naming the field. */
export function ipText(bytes: Uint8Array, what: string, path: string): string {
  const ip = formatIp(bytes);
  if (ip === undefined)
    throw invalidResource(what, path, `IP address must be 4 or 16 bytes, got ${bytes.length}`);
  return ip;
}
