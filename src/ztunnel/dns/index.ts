/** The node proxy's DNS: pure resolution, wire encoding, forwarding, and the UDP/TCP server. */
export type { DnsAnswer, DnsQuestion, DnsRecord, DnsService, DnsTable } from "./table.js";
export { resolve, type ResolveContext } from "./resolve.js";
export { aliases, kubeExpansions, normalizeName, searchDomains, wildcards, type Alias } from "./names.js";
export { encode, headerOnlyReply, parseQuery, RCODE, type ParsedQuery, type Rcode } from "./wire.js";
export { UdpForwarder, parseUpstream, type ForwarderOptions, type Upstream } from "./forward.js";
export { FrameReader, frame } from "./framing.js";
export { upstreamFailure, type UpstreamFailure } from "./outcome.js";
export { DnsServer, type DnsServerOptions, type DnsServerPorts } from "./server.js";
