/**
 * What the control plane knows about each connected proxy, for `ambit proxy-status`, the
 * debug config dump and tests. Versions are the server's config versions (system_version_info
 * as a number); a proxy is in sync for a type when ackedVersion equals the server's version.
 */
import type { JsonValue } from "../wire/struct.js";
import type { NackRecord } from "./subscription.js";

export interface XdsTypeStatus {
  typeUrl: string;
  wildcard: boolean;
  /** Explicitly subscribed names (besides the wildcard). */
  subscribedNames: number;
  /** Resources the proxy holds, as far as the server told it. */
  resources: number;
  /** Config version the proxy has been brought up to (last response, or a push with nothing for it). */
  sentVersion: number;
  lastSentNonce: string;
  lastSentAt: Date | undefined;
  /** Highest config version the proxy has ACKed completely. */
  ackedVersion: number;
  lastAckAt: Date | undefined;
  /** Responses sent and not yet ACKed or NACKed. */
  pendingResponses: number;
  lastNack: NackRecord | undefined;
}

export interface XdsProxyStatus {
  /** Per-server stream number, unique while the server lives. */
  streamId: number;
  nodeId: string;
  cluster: string;
  metadata: Record<string, JsonValue>;
  /** Who the authenticate hook said the caller is, when one is configured. */
  principal: string | undefined;
  peer: string;
  connectedAt: Date;
  types: XdsTypeStatus[];
  /** Type URLs the proxy asked for that this server does not serve. */
  ignoredTypes: string[];
}
