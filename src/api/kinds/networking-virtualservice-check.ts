/**
 * The VirtualService kind: its schema (networking-virtualservice.ts) plus the findings that need
 * the normalized document — warnings where Istio accepts a document but something in it has no
 * effect or does not do what it seems to, and the exportTo/namespace rule.
 */
import { defineKind, type Report } from "./define.js";
import type { Resource } from "../resource.js";
import { checkExportTo } from "./networking-common.js";
import { virtualServiceSpec, type VirtualServiceSpec } from "./networking-virtualservice.js";

type Path = (string | number)[];

/**
 * Weights are relative in Istio (a destination gets weight / sum of weights), so a total other
 * than 100 is accepted; say what the split really is, since older Istio required 100.
 */
export function checkWeights(
  route: readonly {
    weight?: number | undefined;
    destination: { host: string; subset?: string | undefined };
  }[],
  at: Path,
  report: Report,
): void {
  if (route.length === 1) {
    const w = route[0]!.weight;
    if (w !== undefined && w !== 100)
      report([...at, 0, "weight"], `a single destination receives all traffic; weight ${w} has no effect`, {
        severity: "warning",
      });
    return;
  }
  const total = route.reduce((s, d) => s + (d.weight ?? 0), 0);
  if (total === 0 || total === 100) return;
  const shares = route
    .map((d) => {
      const name = d.destination.subset
        ? `${d.destination.host}/${d.destination.subset}`
        : d.destination.host;
      return `${name} ${(((d.weight ?? 0) * 100) / total).toFixed(1)}%`;
    })
    .join(", ");
  report(at, `weights add up to ${total}, not 100; traffic is split in proportion: ${shares}`, {
    severity: "warning",
  });
}

function legacyGatewayNames(names: readonly string[] | undefined, at: Path, report: Report): void {
  (names ?? []).forEach((g, i) => {
    if (g !== "mesh" && !g.includes("/") && g.includes(".")) {
      const [name, ns] = g.split(".");
      report([...at, i], `"${g}" is the legacy gateway name form; write "${ns}/${name}"`, {
        severity: "warning",
      });
    }
  });
}

function checkVirtualService(vs: Resource, report: Report): void {
  const spec = vs.spec as VirtualServiceSpec;
  checkExportTo(spec.exportTo, vs.metadata.namespace ?? "default", report);
  legacyGatewayNames(spec.gateways, ["spec", "gateways"], report);
  const http = spec.http ?? [];
  // A rule without match conditions (or with an empty one) takes every request.
  const catchAll = http.findIndex(
    (r) => !r.match?.length || r.match.some((m) => Object.keys(m).length === 0),
  );
  http.forEach((r, i) => {
    const at: Path = ["spec", "http", i];
    if (catchAll >= 0 && i > catchAll)
      report(at, `never used: http[${catchAll}] has no match condition and takes every request first`, {
        severity: "warning",
      });
    if (r.route) checkWeights(r.route, [...at, "route"], report);
    (r.match ?? []).forEach((m, j) =>
      legacyGatewayNames(m.gateways, [...at, "match", j, "gateways"], report),
    );
    if (r.mirrorPercentage && !r.mirror)
      report(
        [...at, "mirrorPercentage"],
        r.mirrors
          ? "mirrorPercentage applies only to mirror; set percentage on each entry of mirrors"
          : "mirrorPercentage has no effect without mirror",
        { severity: "warning" },
      );
    const abort = r.fault?.abort;
    if (abort && abort.httpStatus === undefined && abort.grpcStatus === undefined)
      report([...at, "fault", "abort"], "abort has no httpStatus or grpcStatus, so it does nothing", {
        severity: "warning",
      });
  });
  for (const kind of ["tcp", "tls"] as const)
    (spec[kind] ?? []).forEach((r, i) => {
      checkWeights(r.route, ["spec", kind, i, "route"], report);
      (r.match ?? []).forEach((m, j) =>
        legacyGatewayNames(m.gateways, ["spec", kind, i, "match", j, "gateways"], report),
      );
    });
}

defineKind({
  group: "networking.istio.io",
  kind: "VirtualService",
  versions: ["v1", "v1beta1", "v1alpha3"],
  namespaced: true,
  spec: virtualServiceSpec,
  check: checkVirtualService,
  deprecations: [
    {
      path: "spec.http.*.mirrorPercent",
      message: "mirrorPercent is deprecated: use mirrorPercentage: { value: N }",
    },
    {
      path: "spec.http.*.fault.delay.percent",
      message: "fault.delay.percent is deprecated: use percentage: { value: N }",
    },
    {
      path: "spec.http.*.corsPolicy.allowOrigin",
      message: "corsPolicy.allowOrigin is deprecated: use allowOrigins with exact, prefix or regex",
    },
  ],
  description: "Istio HTTP/TLS/TCP routing for hosts: matches, weighted splits, retries, faults, mirroring.",
});
