/**
 * Small builders for the documents registry tests feed in, shaped as validation leaves them.
 */
import assert from "node:assert/strict";
import type { Resource } from "../../../src/api/resource.js";
import { buildRegistry } from "../../../src/controlplane/registry/index.js";
import type { Registry, RegistryMesh } from "../../../src/controlplane/registry/types.js";
import type { Service, Workload } from "../../../src/model/workload.js";

type Labels = Record<string, string>;

export function namespace(name: string, labels: Labels = {}): Resource {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

export interface PodOpts {
  ns?: string;
  labels?: Labels;
  annotations?: Labels;
  ip?: string;
  node?: string;
  sa?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  hostNetwork?: boolean;
  phase?: string;
  ready?: boolean;
}

export function pod(name: string, o: PodOpts = {}): Resource {
  const spec: Record<string, unknown> = { containers: [{ name: "app", ports: o.ports ?? [] }] };
  if (o.sa) spec["serviceAccountName"] = o.sa;
  if (o.node) spec["nodeName"] = o.node;
  if (o.hostNetwork) spec["hostNetwork"] = true;
  const r: Resource = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: o.ns ?? "default",
      labels: o.labels ?? {},
      annotations: o.annotations ?? {},
    },
    spec,
  };
  const status: Record<string, unknown> = {};
  if (o.ip) status["podIP"] = o.ip;
  if (o.phase) status["phase"] = o.phase;
  if (o.ready !== undefined) status["conditions"] = [{ type: "Ready", status: o.ready ? "True" : "False" }];
  if (Object.keys(status).length > 0) r["status"] = status;
  return r;
}

export interface ServiceOpts {
  ns?: string;
  labels?: Labels;
  selector?: Labels;
  ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
  clusterIP?: string;
  type?: string;
}

export function service(name: string, o: ServiceOpts = {}): Resource {
  const spec: Record<string, unknown> = {
    ports: o.ports ?? [{ name: "http", port: 80 }],
    type: o.type ?? "ClusterIP",
  };
  if (o.selector) spec["selector"] = o.selector;
  if (o.clusterIP !== undefined) spec["clusterIP"] = o.clusterIP;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: o.ns ?? "default", labels: o.labels ?? {} },
    spec,
  };
}

export function deployment(
  name: string,
  replicas: number,
  labels: Labels,
  ns = "default",
  extra: Labels = {},
): Resource {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, ...extra } },
        spec: { containers: [{ name: "app", image: "x" }] },
      },
    },
  };
}

export function serviceEntry(
  name: string,
  spec: Record<string, unknown>,
  o: { ns?: string; labels?: Labels } = {},
): Resource {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    metadata: { name, namespace: o.ns ?? "default", labels: o.labels ?? {} },
    spec,
  };
}

export function workloadEntry(
  name: string,
  spec: Record<string, unknown>,
  o: { ns?: string; labels?: Labels } = {},
): Resource {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "WorkloadEntry",
    metadata: { name, namespace: o.ns ?? "default", labels: o.labels ?? {} },
    spec,
  };
}

export function authz(
  name: string,
  spec: Record<string, unknown>,
  o: { ns?: string; annotations?: Labels } = {},
): Resource {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name, namespace: o.ns ?? "default", annotations: o.annotations ?? {} },
    spec,
  };
}

export function waypoint(
  name: string,
  o: { ns?: string; labels?: Labels; from?: string; selector?: unknown } = {},
): Resource {
  const listener: Record<string, unknown> = { name: "mesh", port: 15008, protocol: "HBONE" };
  if (o.from)
    listener["allowedRoutes"] = {
      namespaces: { from: o.from, ...(o.selector ? { selector: o.selector } : {}) },
    };
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: o.ns ?? "default", labels: o.labels ?? {} },
    spec: { gatewayClassName: "istio-waypoint", listeners: [listener] },
  };
}

export const build = (resources: Resource[], mesh: RegistryMesh = {}): Registry =>
  buildRegistry({ resources, mesh });

export function wl(r: Registry, name: string): Workload {
  const w = r.workloads.find((x) => x.name === name);
  assert.ok(w, `workload ${name}`);
  return w;
}

export function svc(r: Registry, hostname: string): Service {
  const s = r.services.find((x) => x.hostname === hostname);
  assert.ok(s, `service ${hostname}`);
  return s;
}
