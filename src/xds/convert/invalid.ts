/**
 * The error a proxy raises when a resource from the control plane cannot be used. The xDS client
 * turns it into a NACK (error_detail) for that response and keeps the last good version of the
 * resource, as the xDS protocol's ACK/NACK rules expect.
 */
import { AmbitError } from "../../common/errors.js";

export const XDS_INVALID_RESOURCE = "XDS_INVALID_RESOURCE";

const HINT =
  "the proxy keeps the last good version of this resource; check that control plane and proxy " +
  "versions match and look for this resource in the control plane's logs";

/** `what` names the resource ("Workload cluster1//Pod/ns/a"), `path` the field ("addresses[1]"). */
export function invalidResource(what: string, path: string, problem: string): AmbitError {
  return new AmbitError(XDS_INVALID_RESOURCE, `${what}: ${path}: ${problem}`, HINT);
}

/** Port numbers on the wire are uint32; only 1..65535 (or 0 where "unset" is allowed) make sense. */
export function checkPort(what: string, path: string, port: number, allowZero: boolean): number {
  if (!Number.isInteger(port) || port > 65535 || (port === 0 && !allowZero)) {
    throw invalidResource(what, path, `port ${port} is out of range`);
  }
  return port;
}

export function requireText(what: string, path: string, value: string | undefined): string {
  if (!value) throw invalidResource(what, path, "is required");
  return value;
}
