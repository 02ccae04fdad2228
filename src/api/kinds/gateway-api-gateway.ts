/**
 * Gateway API Gateway (gateway.networking.k8s.io): listeners, addresses, infrastructure. Also
 * how Istio (and Ambit) spell a waypoint: gatewayClassName istio-waypoint with an HBONE listener
 * on 15008. Rules: kubernetes-sigs/gateway-api apis/v1/gateway_types.go (markers and CEL).
 */
import { z } from "zod";
import { DNS_SUBDOMAIN_UNBOUNDED_SOURCE } from "../../common/dns-names.js";
import { defineKind, type Report } from "./define.js";
import type { Resource } from "../resource.js";
import { enumOf, isCidrOrIp, labelSelector, labels, annotations, obj, port } from "../schema/primitives.js";
import { didYouMean } from "../suggest.js";
import {
  group,
  hostname,
  kindName,
  objectName,
  objectRef,
  secretObjectRef,
  sectionName,
} from "./gateway-api-common.js";

/** A domain-prefixed, implementation-specific protocol such as "example.com/proto". */
const prefixedProtocolRe = new RegExp(String.raw`^${DNS_SUBDOMAIN_UNBOUNDED_SOURCE}\/[A-Za-z0-9]+$`);
/** Address types: the core ones, or domain-prefixed such as "example.com/name". */
const addressTypeRe = new RegExp(
  String.raw`^(Hostname|IPAddress|NamedAddress|${DNS_SUBDOMAIN_UNBOUNDED_SOURCE}\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+)$`,
);

/** Core protocols (case-insensitive by spec) and HBONE, the Istio waypoint protocol. */
const protocols = ["HTTP", "HTTPS", "TLS", "TCP", "UDP", "HBONE"] as const;
const protocol = z
  .string()
  .min(1, "protocol must not be empty")
  .max(255)
  .superRefine((v, ctx) => {
    if ((protocols as readonly string[]).includes(v.toUpperCase())) return;
    const prefixed = prefixedProtocolRe.test(v);
    ctx.addIssue({
      code: "custom",
      message: prefixed
        ? `protocol "${v}" is implementation-specific and Ambit does not serve it; use one of ${protocols.join(", ")}`
        : `invalid protocol "${v}": use one of ${protocols.join(", ")}` +
          didYouMean(v.toUpperCase(), protocols),
    });
  });

const routeKindsFor: Record<string, readonly string[]> = {
  HTTP: ["HTTPRoute", "GRPCRoute"],
  HTTPS: ["HTTPRoute", "GRPCRoute"],
  TLS: ["TLSRoute"],
  TCP: ["TCPRoute"],
  UDP: ["UDPRoute"],
  HBONE: [],
};

const tlsConfig = obj({
  validation: obj({
    caCertificateRefs: z
      .array(objectRef)
      .min(1, "at least one caCertificateRef")
      .max(8, "at most 8 caCertificateRefs"),
    mode: enumOf(["AllowValidOnly", "AllowInsecureFallback"]).default("AllowValidOnly"),
  }).optional(),
});

const listener = obj({
  name: sectionName,
  hostname: hostname.optional(),
  port,
  protocol,
  tls: obj({
    mode: enumOf(["Terminate", "Passthrough"]).default("Terminate"),
    certificateRefs: z.array(secretObjectRef).max(64, "at most 64 certificateRefs").optional(),
    options: z.record(z.string(), z.string()).optional(),
  }).optional(),
  allowedRoutes: obj({
    namespaces: obj({
      from: enumOf(["All", "Selector", "Same"]).default("Same"),
      selector: labelSelector.optional(),
    })
      .superRefine((n, ctx) => {
        if (n.from === "Selector" && !n.selector)
          ctx.addIssue({ code: "custom", path: ["selector"], message: "from: Selector needs a selector" });
      })
      .default(() => ({ from: "Same" as const })),
    kinds: z
      .array(obj({ group: group.default("gateway.networking.k8s.io"), kind: kindName }))
      .max(8, "at most 8 kinds")
      .optional(),
  }).default(() => ({ namespaces: { from: "Same" as const } })),
}).superRefine((l, ctx) => {
  const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const p = l.protocol.toUpperCase();
  if (["HTTP", "TCP", "UDP", "HBONE"].includes(p) && l.tls)
    issue(["tls"], `protocol ${l.protocol} takes no tls (use HTTPS or TLS to use certificates)`);
  if ((p === "HTTPS" || p === "TLS") && !l.tls)
    issue(["tls"], `protocol ${l.protocol} needs tls (the certificates, or mode Passthrough for TLS)`);
  if (p === "HTTPS" && l.tls?.mode === "Passthrough")
    issue(
      ["tls", "mode"],
      "an HTTPS listener terminates TLS: use mode Terminate, or protocol TLS for passthrough",
    );
  if (
    l.tls?.mode === "Terminate" &&
    !l.tls.certificateRefs?.length &&
    !Object.keys(l.tls.options ?? {}).length
  )
    issue(["tls", "certificateRefs"], "mode Terminate needs certificateRefs (or options)");
  if ((p === "TCP" || p === "UDP") && l.hostname)
    issue(["hostname"], `protocol ${l.protocol} cannot match a hostname; remove it`);
});

const address = obj({
  type: z
    .string()
    .regex(
      addressTypeRe,
      'type must be IPAddress, Hostname or a domain-prefixed type such as "example.com/name"',
    )
    .default("IPAddress"),
  value: z.string().max(253).optional(),
}).superRefine((a, ctx) => {
  if (a.value === undefined) return;
  if (a.type === "IPAddress" && (a.value.includes("/") || !isCidrOrIp(a.value)))
    ctx.addIssue({ code: "custom", path: ["value"], message: `"${a.value}" is not an IP address` });
  if (a.type === "Hostname" && !hostname.safeParse(a.value).success)
    ctx.addIssue({ code: "custom", path: ["value"], message: `"${a.value}" is not a valid hostname` });
});

const gatewaySpec = obj({
  gatewayClassName: objectName,
  listeners: z
    .array(listener)
    .min(1, "a Gateway needs at least one listener")
    .max(64, "at most 64 listeners"),
  addresses: z.array(address).max(16, "at most 16 addresses").optional(),
  infrastructure: obj({
    labels: labels.refine((m) => Object.keys(m).length <= 8, { message: "at most 8 labels" }).optional(),
    annotations: annotations
      .refine((m) => Object.keys(m).length <= 16, { message: "at most 16 annotations" })
      .optional(),
    parametersRef: obj({ group, kind: kindName, name: objectName }).optional(),
  }).optional(),
  allowedListeners: obj({
    namespaces: obj({
      from: enumOf(["All", "Selector", "Same", "None"]).default("None"),
      selector: labelSelector.optional(),
    }).optional(),
  }).optional(),
  tls: obj({
    backend: obj({ clientCertificateRef: secretObjectRef.optional() }).optional(),
    frontend: obj({
      default: tlsConfig,
      perPort: z
        .array(obj({ port, tls: tlsConfig }))
        .max(64)
        .optional(),
    }).optional(),
  }).optional(),
  defaultScope: z.string().optional(),
}).superRefine((g, ctx) => {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  const names = new Set<string>();
  const combos = new Map<string, string>(); // port/protocol/hostname -> listener name
  g.listeners.forEach((l, i) => {
    if (names.has(l.name)) issue(["listeners", i, "name"], `duplicate listener name "${l.name}"`);
    names.add(l.name);
    const key = `${l.port}/${l.protocol.toUpperCase()}/${l.hostname ?? ""}`;
    const other = combos.get(key);
    if (other !== undefined && other !== l.name)
      issue(
        ["listeners", i],
        `listener "${l.name}" has the same port, protocol and hostname as "${other}": listeners must be distinct`,
      );
    combos.set(key, l.name);
  });
  const values = new Set<string>();
  (g.addresses ?? []).forEach((a, i) => {
    if (a.value === undefined) return;
    const key = `${a.type}/${a.value}`;
    if (values.has(key)) issue(["addresses", i, "value"], `address "${a.value}" is listed twice`);
    values.add(key);
  });
});

export type GatewayApiGatewaySpec = z.infer<typeof gatewaySpec>;

function checkGateway(gw: Resource, report: Report): void {
  const spec = gw.spec as GatewayApiGatewaySpec;
  const warn = (path: (string | number)[], message: string) => report(path, message, { severity: "warning" });
  spec.listeners.forEach((l, i) => {
    const p = l.protocol.toUpperCase();
    if (p === "UDP")
      warn(["spec", "listeners", i, "protocol"], "UDP listeners are not served by Ambit (nor by Istio)");
    const allowed = routeKindsFor[p] ?? [];
    (l.allowedRoutes.kinds ?? []).forEach((k, j) => {
      if (k.group !== "gateway.networking.k8s.io" || !allowed.includes(k.kind))
        warn(
          ["spec", "listeners", i, "allowedRoutes", "kinds", j],
          `${k.kind} cannot attach to a listener of protocol ${l.protocol}` +
            (allowed.length ? ` (use ${allowed.join(" or ")})` : ""),
        );
    });
  });
  if (spec.gatewayClassName === "istio-waypoint") {
    if (!spec.listeners.some((l) => l.protocol.toUpperCase() === "HBONE" && l.port === 15008))
      warn(
        ["spec", "listeners"],
        "a waypoint needs a listener with protocol HBONE on port 15008 (usually named mesh)",
      );
  } else if (spec.gatewayClassName !== "istio-east-west")
    spec.listeners.forEach((l, i) => {
      if (l.protocol.toUpperCase() === "HBONE")
        warn(
          ["spec", "listeners", i, "protocol"],
          "HBONE listeners are for waypoints (gatewayClassName istio-waypoint)",
        );
    });
}

defineKind({
  group: "gateway.networking.k8s.io",
  kind: "Gateway",
  versions: ["v1", "v1beta1"],
  namespaced: true,
  spec: gatewaySpec,
  check: checkGateway,
  description:
    "Gateway API Gateway: ingress/egress listeners, or a waypoint (gatewayClassName istio-waypoint).",
});
