/**
 * One small mesh for the plan tests. Nodes "node-a" and "node-b".
 *   node-a: sleep 10.0.0.10 (enrolled), legacy 10.0.0.11 (not enrolled), httpbin-1 10.0.0.20
 *   node-b: httpbin-2 10.0.1.20, httpbin-3 10.0.1.21 (unhealthy), db 10.0.1.30 (not enrolled),
 *           dual 10.0.2.5 + fd00::2:5, rogue 10.0.1.40 (enrolled, namespace rogue), noip (no address)
 * Services: httpbin 10.96.0.20:80->8080 (httpbin-1..3 and noip, httpbin-2 maps 80->8081),
 *           named 10.96.0.21:80->"http" (httpbin-1 and -2; only httpbin-1 has it: 9080), empty
 *           10.96.0.22, db 10.96.0.30:5432, dual fd00:96::20 + 10.96.0.40, same 10.96.0.23:8000
 *           (target 0), waypointed 10.96.0.50 (declares a waypoint).
 * As on the wire, a service's endpoints are the workloads that name it in their `services`
 * (an empty port list: the service's own target port applies).
 */
import type { Authorization } from "../../../src/model/authorization.js";
import type { Resource } from "../../../src/api/resource.js";
import { ProxyState } from "../../../src/ztunnel/state.js";
import { port, service, workload } from "./fixtures.js";

const key = (name: string) => `default/${name}.default.svc.cluster.local`;
const HTTPBIN_KEY = key("httpbin");
const NAMED_KEY = key("named");

export const sleep = workload("sleep", { ip: "10.0.0.10", node: "node-a" });
export const legacy = workload("legacy", { ip: "10.0.0.11", node: "node-a", enrolled: false });
export const httpbin1 = workload("httpbin-1", {
  ip: "10.0.0.20",
  node: "node-a",
  sa: "httpbin",
  services: { [HTTPBIN_KEY]: [], [NAMED_KEY]: [{ servicePort: 80, targetPort: 9080 }] },
});
export const httpbin2 = workload("httpbin-2", {
  ip: "10.0.1.20",
  node: "node-b",
  sa: "httpbin",
  services: {
    [HTTPBIN_KEY]: [{ servicePort: 80, targetPort: 8081 }],
    [NAMED_KEY]: [],
    [key("same")]: [],
    [key("waypointed")]: [],
  },
});
export const httpbin3 = workload("httpbin-3", {
  ip: "10.0.1.21",
  node: "node-b",
  sa: "httpbin",
  healthy: false,
  services: { [HTTPBIN_KEY]: [] },
});
export const db = workload("db", {
  ip: "10.0.1.30",
  node: "node-b",
  enrolled: false,
  services: { [key("db")]: [] },
});
export const dual = workload("dual", {
  ip: ["10.0.2.5", "fd00::2:5"],
  node: "node-b",
  services: { [key("dual")]: [] },
});
export const rogue = workload("rogue", { ns: "rogue", ip: "10.0.1.40", node: "node-b", sa: "default" });
export const noip = workload("noip", { node: "node-b", services: { [HTTPBIN_KEY]: [] } });

const waypointRef = {
  gateway: "default/waypoint",
  hostname: "waypoint.default.svc.cluster.local",
  addresses: ["10.96.0.99"],
  port: 15008,
};

export const services = {
  httpbin: service("httpbin", { vip: "10.96.0.20", endpoints: [httpbin1, httpbin2, httpbin3, noip] }),
  named: service("named", {
    vip: "10.96.0.21",
    ports: [port(80, 0, { targetPortName: "http" })],
    endpoints: [httpbin1, httpbin2],
  }),
  empty: service("empty", { vip: "10.96.0.22", endpoints: [] }),
  db: service("db", { vip: "10.96.0.30", ports: [port(5432)], endpoints: [db] }),
  dual: service("dual", { vip: ["fd00:96::20", "10.96.0.40"], ports: [port(80, 8080)], endpoints: [dual] }),
  same: service("same", { vip: "10.96.0.23", ports: [port(8000, 0)], endpoints: [httpbin2] }),
  waypointed: service("waypointed", { vip: "10.96.0.50", endpoints: [httpbin2], waypoint: waypointRef }),
};

export function topology(
  o: { authorizations?: Authorization[]; config?: Resource[]; rootNamespace?: string } = {},
): ProxyState {
  const s = new ProxyState(o.rootNamespace ? { rootNamespace: o.rootNamespace } : {});
  for (const w of [sleep, legacy, httpbin1, httpbin2, httpbin3, db, dual, rogue, noip]) s.upsertWorkload(w);
  for (const v of Object.values(services)) s.upsertService(v);
  for (const a of o.authorizations ?? []) s.upsertAuthorization(a);
  for (const d of o.config ?? []) s.upsertConfig(d);
  return s;
}
