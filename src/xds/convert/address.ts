/**
 * The istio.workload.Address resource: one message type for both workloads and services, so a
 * proxy looks up "what is this IP" in one table. Resource names follow Istio: a workload's uid,
 * a service's "<namespace>/<hostname>" (model serviceKey).
 */
import { serviceKey, type Service, type Workload } from "../../model/workload.js";
import { xdsProtos } from "../wire/protos.js";
import { decodePb, encodePb, type PbAddress } from "../wire/resources.js";
import { invalidResource } from "./invalid.js";
import { pbToService, serviceToPb } from "./service.js";
import { pbToWorkload, workloadToPb } from "./workload.js";

export type AddressResource =
  { kind: "workload"; workload: Workload } | { kind: "service"; service: Service };

/** xDS resource name of an address: uid for a workload, "<ns>/<hostname>" for a service. */
export function addressResourceName(a: AddressResource): string {
  return a.kind === "workload" ? a.workload.uid : serviceKey(a.service);
}

export function encodeWorkload(w: Workload): Uint8Array {
  return encodePb<PbAddress>(xdsProtos().Address, { workload: workloadToPb(w) });
}

export function encodeService(s: Service): Uint8Array {
  return encodePb<PbAddress>(xdsProtos().Address, { service: serviceToPb(s) });
}

export function encodeAddress(a: AddressResource): Uint8Array {
  return a.kind === "workload" ? encodeWorkload(a.workload) : encodeService(a.service);
}

/** Decodes and validates; throws an XDS_INVALID_RESOURCE AmbitError (-> NACK) when unusable. */
export function decodeAddress(bytes: Uint8Array): AddressResource {
  let pb: PbAddress;
  try {
    pb = decodePb<PbAddress>(xdsProtos().Address, bytes);
  } catch (e) {
    throw invalidResource(
      "Address",
      "(message)",
      `not a valid istio.workload.Address: ${(e as Error).message}`,
    );
  }
  if (pb.workload) return { kind: "workload", workload: pbToWorkload(pb.workload) };
  if (pb.service) return { kind: "service", service: pbToService(pb.service) };
  throw invalidResource("Address", "type", "neither workload nor service is set");
}
