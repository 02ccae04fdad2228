/**
 * Kind-specific columns for `ambit get`, as kubectl prints them: pods with readiness, status,
 * restarts (and IP/node with -o wide), services with their VIP and ports. Pure.
 */
import type { Resource } from "../../api/resource.js";
import type { StatusRecord } from "../../local/record.js";

interface PodShape {
  spec?: { nodeName?: string; containers?: unknown[] };
  status?: { podIP?: string; phase?: string };
}

interface ServiceShape {
  spec?: {
    type?: string;
    clusterIP?: string;
    ports?: Array<{ port?: number; targetPort?: number | string; protocol?: string }>;
  };
}

export function podColumns(
  items: readonly Resource[],
  status: StatusRecord | undefined,
  wide: boolean,
  withNamespace: boolean,
): { head: string[]; rows: string[][] } {
  const head = [
    ...(withNamespace ? ["NAMESPACE"] : []),
    "NAME",
    "READY",
    "STATUS",
    "RESTARTS",
    ...(wide ? ["IP", "NODE"] : []),
  ];
  const rows = items.map((i) => {
    const p = i as unknown as PodShape;
    const ns = i.metadata.namespace ?? "default";
    const live = status?.pods.find((s) => s.namespace === ns && s.name === i.metadata.name);
    const containers = p.spec?.containers?.length ?? 1;
    const ready = live ? `${live.ready ? containers : 0}/${containers}` : "-";
    const phase = live
      ? (live.reason ?? live.phase)
      : (p.status?.phase ?? (p.spec?.nodeName ? "Scheduled" : "Pending"));
    return [
      ...(withNamespace ? [ns] : []),
      i.metadata.name,
      ready,
      phase,
      live ? String(live.restarts) : "-",
      ...(wide ? [p.status?.podIP ?? "<none>", p.spec?.nodeName ?? "<none>"] : []),
    ];
  });
  return { head, rows };
}

export function serviceColumns(
  items: readonly Resource[],
  withNamespace: boolean,
  vips: ReadonlyMap<string, readonly string[]> = new Map(),
): { head: string[]; rows: string[][] } {
  const head = [...(withNamespace ? ["NAMESPACE"] : []), "NAME", "TYPE", "CLUSTER-IP", "PORT(S)"];
  const rows = items.map((i) => {
    const s = (i as unknown as ServiceShape).spec ?? {};
    const ports = (s.ports ?? []).map((p) => `${p.port ?? ""}/${p.protocol ?? "TCP"}`).join(",");
    return [
      ...(withNamespace ? [i.metadata.namespace ?? "default"] : []),
      i.metadata.name,
      s.type ?? "ClusterIP",
      s.clusterIP ??
        vips.get(`${i.metadata.namespace ?? "default"}/${i.metadata.name}`)?.join(",") ??
        "<none>",
      ports || "<none>",
    ];
  });
  return { head, rows };
}
