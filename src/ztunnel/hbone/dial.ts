/**
 * One outbound HBONE connection: TCP to the destination node's 15008, mutual TLS 1.3 with ALPN
 * h2 presenting the source workload's certificate, the server's chain verified against the trust
 * bundle and its URI SAN compared with the expected destination identity (host names are not
 * checked; ztunnel connects with a dummy server name and checks the SAN instead,
 * src/tls/workload.rs `OutboundConnector` / `IdentityVerifier`), then an HTTP/2 session that is
 * ready once the server's SETTINGS arrive.
 *
 * Waiting for SETTINGS matters: in TLS 1.3 the client's handshake completes before the server
 * has judged the client certificate, so a server that refuses it can only close the connection
 * afterwards. Seeing that close before SETTINGS is how the client can say "refused our cert".
 */
import { connect as h2connect, type ClientHttp2Session, type SecureClientSessionOptions } from "node:http2";
import type { Socket } from "node:net";
import { connect as tlsConnect, type PeerCertificate, type SecureContext } from "node:tls";
import { uriSans } from "../tls.js";
import { formatAuthority } from "./authority.js";
import {
  HboneError,
  IdentityMismatch,
  connectFailed,
  identityMismatch,
  timedOut,
  tlsFailed,
} from "./errors.js";

export interface DialOptions {
  ip: string;
  port: number;
  connect: (host: string, port: number) => Socket;
  secureContext: SecureContext;
  destinationIdentity: string;
  timeoutMs: number;
  h2: SecureClientSessionOptions;
  connectionWindowBytes: number;
}

export function dialHbone(o: DialOptions): Promise<ClientHttp2Session> {
  const address = formatAuthority(o.ip, o.port);
  return new Promise((resolve, reject) => {
    let phase: "tcp" | "tls" | "h2" = "tcp";
    let session: ClientHttp2Session | undefined;
    let settled = false;
    const fail = (err: HboneError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session?.destroy();
      tls.destroy();
      raw.destroy();
      reject(err);
    };
    const classify = (e: unknown): HboneError => {
      if (e instanceof IdentityMismatch) return identityMismatch(address, e);
      if (e instanceof HboneError) return e;
      if (phase === "tcp") return connectFailed(address, e);
      return tlsFailed(address, e, phase === "h2");
    };
    const timer = setTimeout(() => fail(timedOut(address)), o.timeoutMs);

    const raw = o.connect(o.ip, o.port);
    raw.setNoDelay(true);
    if (!raw.connecting) phase = "tls";
    else raw.once("connect", () => (phase = "tls"));
    raw.on("error", (e) => fail(classify(e)));

    const tls = tlsConnect({
      socket: raw,
      // An IP host means no SNI is sent; the identity check below replaces the host name check.
      host: o.ip,
      secureContext: o.secureContext,
      ALPNProtocols: ["h2"],
      rejectUnauthorized: true,
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        const sans = uriSans(cert.raw);
        return sans.includes(o.destinationIdentity)
          ? undefined
          : new IdentityMismatch(o.destinationIdentity, sans);
      },
    });
    tls.on("error", (e) => fail(classify(e)));
    // The TLS socket wraps `raw` without owning it: make sure the TCP connection goes with it.
    tls.once("close", () => raw.destroy());
    tls.once("secureConnect", () => {
      if (tls.alpnProtocol !== "h2") {
        return fail(
          tlsFailed(
            address,
            new Error(`the server did not select ALPN h2 (got ${tls.alpnProtocol || "none"})`),
          ),
        );
      }
      phase = "h2";
      const s = h2connect(`https://${address}`, { ...o.h2, createConnection: () => tls });
      session = s;
      s.on("error", (e) => fail(classify(e)));
      s.once("close", () => fail(tlsFailed(address, new Error("connection closed"), true)));
      s.once("connect", () => s.setLocalWindowSize(o.connectionWindowBytes));
      s.once("remoteSettings", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(s);
      });
    });
  });
}
