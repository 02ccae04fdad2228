/**
 * ServiceEntry and WorkloadEntry (networking.istio.io): services and workloads outside
 * Kubernetes' registry. Rules: istio/istio pkg/config/validation/validation.go
 * (ValidateServiceEntry, validateWorkloadEntry).
 */
import { z } from "zod";
import { defineKind, type Report } from "./define.js";
import type { Resource } from "../resource.js";
import { cidrOrIp, dnsLabel, dnsSubdomain, enumOf, labels, obj, port } from "../schema/primitives.js";
import {
  checkExportTo,
  exportTo,
  fqdnError,
  isHttpProtocol,
  isIpAddress,
  isTlsProtocol,
  istioProtocol,
  parseProtocol,
  uint32,
  wildcardDomainError,
} from "./networking-common.js";

const UNIX = "unix://";

/** Why a unix:// endpoint path is unusable (ValidateUnixAddress), or undefined. */
function unixAddressError(addr: string): string | undefined {
  const path = addr.slice(UNIX.length);
  if (path === "") return "the unix socket path must not be empty";
  if (path.startsWith("@")) return undefined; // abstract socket
  if (!path.startsWith("/") || path.endsWith("/"))
    return `"${path}" is not an absolute path to a socket file`;
  return undefined;
}

/** Fields of a WorkloadEntry; a ServiceEntry's endpoints have the same shape. */
const workloadEntryFields = {
  address: z.string().optional(),
  ports: z.record(z.string(), port).optional(),
  labels: labels.optional(),
  network: z.string().optional(),
  locality: z
    .string()
    .regex(/^[^/]*(\/[^/]*){0,2}$/, "a locality is region[/zone[/subzone]]")
    .optional(),
  weight: uint32.optional(),
  serviceAccount: dnsSubdomain.optional(),
};

type WorkloadEntryLike = {
  address?: string | undefined;
  network?: string | undefined;
  ports?: Record<string, number>;
};

/**
 * Rules common to WorkloadEntry and endpoints: port names are DNS labels; the address is an IP,
 * a unix:// socket, or (when `fqdn`, i.e. DNS resolution) a host name.
 */
function addressIssues(we: WorkloadEntryLike, fqdn: boolean): { path: string[]; message: string }[] {
  const out = Object.keys(we.ports ?? {})
    .filter((name) => !dnsLabel.safeParse(name).success)
    .map((name) => ({
      path: ["ports", name],
      message: `port name "${name}" must be a DNS-1123 label (lower-case)`,
    }));
  return [...out, ...addressOnlyIssues(we, fqdn)];
}

function addressOnlyIssues(we: WorkloadEntryLike, fqdn: boolean): { path: string[]; message: string }[] {
  const addr = we.address ?? "";
  if (addr === "")
    return we.network
      ? []
      : [
          {
            path: ["address"],
            message: "address is required (or set network for a gateway-reached workload)",
          },
        ];
  if (addr.startsWith(UNIX)) {
    const out = [];
    const err = unixAddressError(addr);
    if (err) out.push({ path: ["address"], message: err });
    if (Object.keys(we.ports ?? {}).length > 0)
      out.push({ path: ["ports"], message: "a unix socket endpoint takes no ports" });
    return out;
  }
  if (isIpAddress(addr)) return [];
  if (!fqdn)
    return [
      {
        path: ["address"],
        message: `"${addr}" must be an IP address (or unix:// path) for resolution STATIC`,
      },
    ];
  return fqdnError(addr)
    ? [{ path: ["address"], message: `"${addr}" is neither an IP address nor a domain name` }]
    : [];
}

const workloadEntrySpec = obj(workloadEntryFields).superRefine((we, ctx) => {
  for (const issue of addressIssues(we, true)) ctx.addIssue({ code: "custom", ...issue });
});

const servicePort = obj({
  number: port,
  protocol: istioProtocol.optional(),
  name: dnsLabel,
  targetPort: port.optional(),
});

const serviceEntrySpec = obj({
  hosts: z.array(z.string()).min(1, "a ServiceEntry needs at least one host"),
  addresses: z.array(cidrOrIp).optional(),
  ports: z.array(servicePort).optional(),
  location: enumOf(["MESH_EXTERNAL", "MESH_INTERNAL"]).default("MESH_EXTERNAL"),
  // DNS_ROUND_ROBIN before DNS so that a misspelt DNS_ROUND_ROBIN is suggested first.
  resolution: enumOf(["NONE", "STATIC", "DNS_ROUND_ROBIN", "DNS"]).default("NONE"),
  endpoints: z.array(obj(workloadEntryFields)).optional(),
  workloadSelector: obj({ labels: labels.optional() }).optional(),
  exportTo: exportTo({ allowNone: true }).optional(),
  subjectAltNames: z.array(z.string()).optional(),
}).superRefine((se, ctx) => {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  se.hosts.forEach((h, i) => {
    if (h === "*") issue(["hosts", i], 'host "*" is not allowed in a ServiceEntry; name the hosts');
    else {
      const err = wildcardDomainError(h);
      if (err) issue(["hosts", i], err);
    }
  });
  if (se.workloadSelector && se.endpoints)
    issue(["endpoints"], "only one of workloadSelector and endpoints may be set");
  if (se.resolution !== "NONE" && se.resolution !== "STATIC")
    (se.addresses ?? []).forEach((a, i) => {
      if (a.includes("/"))
        issue(["addresses", i], `CIDR addresses need resolution NONE or STATIC (not ${se.resolution})`);
    });
  const names = new Set<string>();
  const numbers = new Set<number>();
  (se.ports ?? []).forEach((p, i) => {
    if (names.has(p.name)) issue(["ports", i, "name"], `port name "${p.name}" is used twice`);
    if (numbers.has(p.number)) issue(["ports", i, "number"], `port ${p.number} is listed twice`);
    names.add(p.name);
    numbers.add(p.number);
  });
  const endpoints = se.endpoints ?? [];
  if (se.resolution === "NONE" && endpoints.length > 0)
    issue(["endpoints"], "resolution NONE takes no endpoints: use STATIC or DNS, or remove them");
  if (se.resolution === "DNS" || se.resolution === "DNS_ROUND_ROBIN") {
    if (endpoints.length === 0)
      se.hosts.forEach((h, i) => {
        if (h.includes("*"))
          issue(
            ["hosts", i],
            `resolution ${se.resolution} without endpoints resolves the hosts, so they must not be wildcards`,
          );
      });
    if (se.resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1)
      issue(["endpoints"], "resolution DNS_ROUND_ROBIN takes at most one endpoint");
  }
  endpoints.forEach((ep, i) => {
    const fqdn = se.resolution !== "STATIC";
    for (const e of addressIssues(ep, fqdn)) issue(["endpoints", i, ...e.path], e.message);
    for (const name of Object.keys(ep.ports ?? {}))
      if (!names.has(name))
        issue(["endpoints", i, "ports", name], `port "${name}" is not one of the ServiceEntry's ports`);
    if (ep.address?.startsWith(UNIX) && (se.ports ?? []).length !== 1)
      issue(["endpoints", i, "address"], "a unix socket endpoint needs exactly one ServiceEntry port");
  });
  // Plain TCP carries no host name, so several hosts cannot be told apart (unless NONE).
  if (se.resolution !== "NONE" && se.hosts.length > 1) {
    const i = (se.ports ?? []).findIndex((p) => {
      const proto = parseProtocol(p.protocol ?? "");
      return !isHttpProtocol(proto) && !isTlsProtocol(proto);
    });
    if (i >= 0)
      issue(
        ["ports", i, "protocol"],
        "several hosts need HTTP or TLS ports (plain TCP cannot tell the hosts apart)",
      );
  }
});

export type ServiceEntrySpec = z.infer<typeof serviceEntrySpec>;
export type WorkloadEntrySpec = z.infer<typeof workloadEntrySpec>;

function checkServiceEntry(se: Resource, report: Report): void {
  const spec = se.spec as ServiceEntrySpec;
  checkExportTo(spec.exportTo, se.metadata.namespace ?? "default", report);
  const warn = (path: (string | number)[], message: string) => report(path, message, { severity: "warning" });
  spec.hosts.forEach((h, i) => {
    if (h.includes("*") && !h.startsWith("*."))
      warn(["spec", "hosts", i], `partial wildcard "${h}" is not supported; use "*.domain"`);
  });
  if (spec.workloadSelector) {
    if (spec.resolution !== "STATIC")
      warn(
        ["spec", "workloadSelector"],
        `workloadSelector is used only with resolution STATIC (this is ${spec.resolution})`,
      );
    if (Object.keys(spec.workloadSelector.labels ?? {}).length === 0)
      warn(
        ["spec", "workloadSelector"],
        "workloadSelector has no labels, so it selects every workload in the namespace",
      );
  }
  if (spec.resolution === "STATIC" && !spec.workloadSelector && !(spec.endpoints ?? []).length)
    warn(
      ["spec", "resolution"],
      "resolution STATIC with no endpoints and no workloadSelector has nowhere to send traffic",
    );
  if (spec.resolution === "NONE")
    (spec.ports ?? []).forEach((p, i) => {
      if (p.targetPort !== undefined)
        warn(["spec", "ports", i, "targetPort"], "targetPort has no effect with resolution NONE");
    });
  (spec.endpoints ?? []).forEach((ep, i) => {
    if (!ep.address && ep.network)
      warn(
        ["spec", "endpoints", i, "address"],
        `no address: reached through network "${ep.network}"'s gateway`,
      );
  });
}

defineKind({
  group: "networking.istio.io",
  kind: "ServiceEntry",
  versions: ["v1", "v1beta1", "v1alpha3"],
  namespaced: true,
  spec: serviceEntrySpec,
  check: checkServiceEntry,
  description:
    "A service Istio's registry does not know: external APIs, VMs; resolved by DNS, static endpoints or selector.",
});

defineKind({
  group: "networking.istio.io",
  kind: "WorkloadEntry",
  versions: ["v1", "v1beta1", "v1alpha3"],
  namespaced: true,
  spec: workloadEntrySpec,
  check: (we, report) => {
    const spec = we.spec as WorkloadEntrySpec;
    if (!spec.address && spec.network)
      report(["spec", "address"], `no address: reached through network "${spec.network}"'s gateway`, {
        severity: "warning",
      });
  },
  description: "A workload outside Kubernetes (a VM, a process): address, ports, labels, identity.",
});
