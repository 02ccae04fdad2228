/**
 * The C anchors of the L4 bench: stunnel and HAProxy, each as a two-hop mutual-TLS tunnel placed
 * like two node proxies — a client end in node 1's namespace (the client pod dials it at its
 * gateway address) and a server end in node 2's namespace, which connects to the server pod:
 *
 *   client pod -> 169.254.1.1:<port> (node 1: anchor client)
 *     == TLS 1.3, both sides present certificates from one CA ==> node 2 fabric IP (anchor server)
 *     -> server pod IP:<app port>
 *
 * Settings are the programs' defaults (threads, buffers, ciphers) apart from what parity with
 * HBONE needs: TLS 1.3 only, a client certificate required and verified, the server's name
 * checked by the client (HBONE checks the destination's identity the same way).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

/** Name the server certificate carries and the anchors' clients check. */
export const SERVER_NAME = "server.l4.bench";

export interface Certs {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** HAProxy wants certificate and key in one PEM file. */
  serverPem: string;
  clientCert: string;
  clientKey: string;
  clientPem: string;
}

function openssl(args: string[]): void {
  const r = spawnSync("openssl", args, { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

/** A throw-away CA (EC P-256, as Ambit's workload certificates) and a server and client certificate. */
export function makeCerts(dir: string): Certs {
  const p = (f: string) => join(dir, f);
  const key = (f: string) =>
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p(f)]);
  key("ca.key");
  openssl([
    ...["req", "-x509", "-new", "-key", p("ca.key"), "-subj", "/CN=ambit-l4-bench-ca", "-days", "2"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
    ...["-out", p("ca.crt")],
  ]);
  const leaf = (name: string, san: string) => {
    key(`${name}.key`);
    openssl(["req", "-new", "-key", p(`${name}.key`), "-subj", `/CN=${name}`, "-out", p(`${name}.csr`)]);
    writeFileSync(p(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl([
      ...["x509", "-req", "-in", p(`${name}.csr`), "-CA", p("ca.crt"), "-CAkey", p("ca.key")],
      ...["-CAcreateserial", "-days", "2", "-extfile", p(`${name}.ext`), "-out", p(`${name}.crt`)],
    ]);
  };
  leaf("server", `DNS:${SERVER_NAME}`);
  leaf("client", "DNS:client.l4.bench");
  const pem = (name: string) => {
    writeFileSync(
      p(`${name}.pem`),
      readFileSync(p(`${name}.crt`), "utf8") + readFileSync(p(`${name}.key`), "utf8"),
    );
    return p(`${name}.pem`);
  };
  return {
    ca: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    serverPem: pem("server"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
    clientPem: pem("client"),
  };
}

/** One tunnelled port: what the client end listens on, and where the server end delivers. */
export interface TunnelPort {
  name: string;
  /** Client end (node 1) listens here on every address. */
  listen: number;
  /** Server end (node 2) listens here on its fabric IP's side of the tunnel. */
  tunnel: number;
  /** The server pod's address and application port. */
  target: string;
}

/** stunnel configuration for one end (stunnel(8): one service section per port). */
export function stunnelConfig(
  end: "client" | "server",
  certs: Certs,
  ports: readonly TunnelPort[],
  serverNodeIp: string,
): string {
  const lines = ["foreground = yes", "pid =", "syslog = no", "debug = 3", ""];
  for (const p of ports) {
    lines.push(`[${p.name}]`, "sslVersionMin = TLSv1.3", `CAfile = ${certs.ca}`, "verifyChain = yes");
    if (end === "client") {
      lines.push(
        "client = yes",
        `accept = 0.0.0.0:${p.listen}`,
        `connect = ${serverNodeIp}:${p.tunnel}`,
        `cert = ${certs.clientCert}`,
        `key = ${certs.clientKey}`,
        `checkHost = ${SERVER_NAME}`,
      );
    } else {
      // verifyChain implies requireCert: a client without a certificate is refused.
      lines.push(
        `accept = 0.0.0.0:${p.tunnel}`,
        `connect = ${p.target}`,
        `cert = ${certs.serverCert}`,
        `key = ${certs.serverKey}`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** HAProxy configuration for one end: TCP mode (L4), TLS 1.3 only, certificates verified both ways. */
export function haproxyConfig(
  end: "client" | "server",
  certs: Certs,
  ports: readonly TunnelPort[],
  serverNodeIp: string,
): string {
  const lines = [
    "global",
    "  maxconn 4096",
    "  ssl-default-bind-options ssl-min-ver TLSv1.3",
    "  ssl-default-server-options ssl-min-ver TLSv1.3",
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
  ];
  for (const p of ports) {
    lines.push(`listen ${p.name}`);
    if (end === "client") {
      lines.push(
        `  bind 0.0.0.0:${p.listen}`,
        `  server up ${serverNodeIp}:${p.tunnel} ssl crt ${certs.clientPem} ca-file ${certs.ca} verify required verifyhost ${SERVER_NAME}`,
      );
    } else {
      lines.push(
        `  bind 0.0.0.0:${p.tunnel} ssl crt ${certs.serverPem} ca-file ${certs.ca} verify required`,
        `  server up ${p.target}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
