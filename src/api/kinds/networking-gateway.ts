/**
 * Istio Gateway (networking.istio.io): servers (port, hosts, TLS) on the gateway workloads its
 * selector picks. Not to be confused with the Gateway API Gateway (gateway-api-gateway.ts).
 * Rules: istio/istio pkg/config/validation/validation.go (ValidateGateway, validateServer,
 * validateTLSOptions) and agent.ValidateNamespaceSlashWildcardHostname.
 */
import { z } from "zod";
import { defineKind, type Report } from "./define.js";
import type { Resource } from "../resource.js";
import { dnsLabel, enumOf, labels, obj } from "../schema/primitives.js";
import {
  isHttpProtocol,
  isIpAddress,
  isTlsProtocol,
  istioProtocol,
  parseProtocol,
  wildcardDomainError,
} from "./networking-common.js";

/** Why a server host (`[namespace/]dnsName`) is invalid, or undefined. */
function serverHostError(entry: string): string | undefined {
  const slash = entry.indexOf("/");
  const ns = slash < 0 ? undefined : entry.slice(0, slash);
  const host = slash < 0 ? entry : entry.slice(slash + 1);
  if (ns !== undefined && ns !== "*" && ns !== "." && !dnsLabel.safeParse(ns).success)
    return `invalid namespace "${ns}" in "${entry}": use "*", "." or a namespace name`;
  if (host === "") return `"${entry}" has no host name after the "/"`;
  if (host === "*") return undefined;
  if (!host.includes("."))
    return `"${host}" is a short name; gateway hosts must be fully qualified, e.g. "${host}.example.com"`;
  if (host.includes("*") && !host.startsWith("*."))
    return `partial wildcard "${host}" is not allowed; use "*.domain"`;
  const err = wildcardDomainError(host);
  return err && !isIpAddress(host) ? err : undefined;
}

const tlsVersion = enumOf(["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]);
const tlsVersionOrder = ["TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"];

const serverTls = obj({
  httpsRedirect: z.boolean().optional(),
  mode: enumOf([
    "PASSTHROUGH",
    "SIMPLE",
    "MUTUAL",
    "AUTO_PASSTHROUGH",
    "ISTIO_MUTUAL",
    "OPTIONAL_MUTUAL",
  ]).optional(),
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  caCrl: z.string().optional(),
  credentialName: z.string().optional(),
  credentialNames: z
    .array(z.string().min(1))
    .max(2, "at most two credentialNames (an RSA and an ECDSA one)")
    .optional(),
  tlsCertificates: z
    .array(
      obj({
        serverCertificate: z.string().optional(),
        privateKey: z.string().optional(),
        caCertificates: z.string().optional(),
      }),
    )
    .optional(),
  subjectAltNames: z.array(z.string()).optional(),
  verifyCertificateSpki: z.array(z.string()).optional(),
  verifyCertificateHash: z.array(z.string()).optional(),
  minProtocolVersion: tlsVersion.optional(),
  maxProtocolVersion: tlsVersion.optional(),
  cipherSuites: z.array(z.string()).optional(),
}).superRefine((t, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  const mode = t.mode ?? "PASSTHROUGH";
  const credential = t.credentialName || t.credentialNames?.length || t.tlsCertificates?.length;
  if (mode === "ISTIO_MUTUAL") {
    for (const f of ["serverCertificate", "privateKey", "caCertificates", "credentialName"] as const)
      if (t[f]) issue(f, `ISTIO_MUTUAL uses the mesh certificates; remove ${f}`);
    return;
  }
  if (mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL") {
    if (!credential) {
      if (!t.serverCertificate)
        issue("serverCertificate", `${mode} needs credentialName, or serverCertificate and privateKey`);
      if (!t.privateKey)
        issue("privateKey", `${mode} needs credentialName, or serverCertificate and privateKey`);
      if (mode !== "SIMPLE" && !t.caCertificates)
        issue(
          "caCertificates",
          `${mode} needs caCertificates to check client certificates (or credentialName)`,
        );
    }
    if (t.caCrl && t.credentialName)
      issue("caCrl", "caCrl cannot be combined with credentialName: put the CRL in the credential");
    if (t.caCrl && mode === "SIMPLE") issue("caCrl", "caCrl needs MUTUAL or OPTIONAL_MUTUAL");
  }
  const min = tlsVersionOrder.indexOf(t.minProtocolVersion ?? "");
  const max = tlsVersionOrder.indexOf(t.maxProtocolVersion ?? "");
  if (min >= 0 && max >= 0 && min > max)
    issue("minProtocolVersion", "minProtocolVersion is above maxProtocolVersion");
});

const server = obj({
  port: obj({
    number: z
      .number()
      .int()
      .min(0, "port must be between 1 and 65535")
      .max(65535, "port must be between 1 and 65535"),
    protocol: istioProtocol,
    name: z.string().min(1, "port name must not be empty"),
    targetPort: z.number().optional(),
  }),
  bind: z.string().optional(),
  hosts: z.array(z.string()).min(1, "a server needs at least one host"),
  tls: serverTls.optional(),
  name: z.string().optional(),
}).superRefine((s, ctx) => {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  s.hosts.forEach((h, i) => {
    const err = serverHostError(h);
    if (err) issue(["hosts", i], err);
  });
  const unix = s.bind?.startsWith("unix://");
  if (s.bind && !unix && !isIpAddress(s.bind))
    issue(["bind"], `bind "${s.bind}" must be an IP address or unix:// path`);
  if (unix && s.port.number !== 0)
    issue(["port", "number"], "a server bound to a unix socket needs port number 0");
  if (!unix && s.port.number === 0) issue(["port", "number"], "port must be between 1 and 65535");
  if (s.port.targetPort !== undefined)
    issue(["port", "targetPort"], "targetPort has no effect on a Gateway; remove it");
  const proto = parseProtocol(s.port.protocol);
  if (isTlsProtocol(proto) && !s.tls) issue(["tls"], `protocol ${s.port.protocol} needs tls settings`);
  if (!isTlsProtocol(proto) && s.tls) {
    const passthrough = !s.tls.mode || s.tls.mode === "PASSTHROUGH" || s.tls.mode === "AUTO_PASSTHROUGH";
    const certs = s.tls.serverCertificate || s.tls.privateKey || s.tls.caCertificates;
    if (!isHttpProtocol(proto))
      issue(["tls"], `protocol ${s.port.protocol} takes no tls settings (use HTTPS or TLS)`);
    else if (!passthrough || certs)
      issue(
        ["tls"],
        `protocol ${s.port.protocol} is plain text: tls may only set httpsRedirect (use HTTPS to terminate TLS)`,
      );
  }
});

const gatewaySpec = obj({
  servers: z.array(server).min(1, "a Gateway needs at least one server"),
  selector: labels.optional(),
}).superRefine((g, ctx) => {
  const names = new Set<string>();
  g.servers.forEach((s, i) => {
    if (names.has(s.port.name))
      ctx.addIssue({
        code: "custom",
        path: ["servers", i, "port", "name"],
        message: `port name "${s.port.name}" is used by another server`,
      });
    names.add(s.port.name);
  });
});

export type IstioGatewaySpec = z.infer<typeof gatewaySpec>;

function checkGateway(gw: Resource, report: Report): void {
  const spec = gw.spec as IstioGatewaySpec;
  if (gw.metadata.name.includes("."))
    report(
      ["metadata", "name"],
      "an Istio Gateway's name must be a DNS-1123 label (no dots): VirtualServices refer to it as <namespace>/<name>",
    );
  spec.servers.forEach((s, i) => {
    const at = ["spec", "servers", i, "tls"];
    const tls = s.tls;
    if (!tls) return;
    const proto = parseProtocol(s.port.protocol);
    if (tls.httpsRedirect && !isHttpProtocol(proto))
      report([...at, "httpsRedirect"], "httpsRedirect applies only to HTTP servers", { severity: "warning" });
    const passthrough = tls.mode === "PASSTHROUGH" || tls.mode === "AUTO_PASSTHROUGH";
    if (passthrough && (tls.serverCertificate || tls.privateKey || tls.caCertificates || tls.credentialName))
      report(at, `${tls.mode} does not terminate TLS; its certificates are ignored`, { severity: "warning" });
    if (
      (tls.minProtocolVersion === "TLSV1_0" || tls.minProtocolVersion === "TLSV1_1") &&
      !tls.cipherSuites?.length
    )
      report(
        [...at, "minProtocolVersion"],
        "TLS below 1.2 needs cipherSuites that support it (the defaults do not)",
        {
          severity: "warning",
        },
      );
  });
}

defineKind({
  group: "networking.istio.io",
  kind: "Gateway",
  versions: ["v1", "v1beta1", "v1alpha3"],
  namespaced: true,
  spec: gatewaySpec,
  check: checkGateway,
  description:
    "Istio Gateway: ports, hosts and TLS served by the ingress/egress gateway workloads it selects.",
});
