import type { DnsService, DnsTable } from "../../../src/ztunnel/dns/index.js";

export const services: DnsService[] = [
  {
    hostname: "httpbin.default.svc.cluster.local",
    namespace: "default",
    addresses: ["10.96.0.10", "fd00::10"],
  },
  { hostname: "v4only.default.svc.cluster.local", namespace: "default", addresses: ["10.96.0.11"] },
  { hostname: "v6only.default.svc.cluster.local", namespace: "default", addresses: ["fd00::12"] },
  { hostname: "reviews.shop.svc.cluster.local", namespace: "shop", addresses: ["10.96.1.1"] },
  { hostname: "headless.default.svc.cluster.local", namespace: "default", addresses: [] },
  { hostname: "api.example.com", namespace: "default", addresses: ["240.240.0.1"] },
  { hostname: "*.wild.example.com", namespace: "default", addresses: ["240.240.0.2"] },
  { hostname: "*.b.wild.example.com", namespace: "default", addresses: ["240.240.0.3"] },
  { hostname: "shared.io", namespace: "a", addresses: ["240.0.0.1"] },
  { hostname: "shared.io", namespace: "b", addresses: ["240.0.0.2"] },
  { hostname: "noip.example.com", namespace: "default", addresses: [] },
];

export function table(extra: DnsService[] = []): DnsTable {
  return {
    domainSuffix: "cluster.local",
    services: () => [...services, ...extra],
    endpointAddresses: (s) => (s.hostname.startsWith("headless.") ? ["10.1.0.6", "10.1.0.5"] : []),
  };
}
