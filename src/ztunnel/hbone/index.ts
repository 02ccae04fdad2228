// HBONE: HTTP/2 CONNECT inside mutual TLS 1.3. Table of contents only.
export {
  HbonePool,
  type HbonePoolOptions,
  type HboneOpenRequest,
  type HboneStream,
  type HbonePoolStats,
} from "./client.js";
export {
  HboneServer,
  type HboneServerOptions,
  type HboneServerStats,
  type HboneInboundRequest,
  type HboneInboundResult,
  type TunnelStats,
} from "./server.js";
export { HboneError, type HboneErrorCode } from "./errors.js";
export { parseAuthority, formatAuthority, type HostPort } from "./authority.js";
