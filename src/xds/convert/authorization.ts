/**
 * Authorization (model/authorization.ts) <-> istio.security.Authorization. The structure maps
 * one to one (rules OR-ed, clauses AND-ed, matches OR-ed); string matches become the proto's
 * oneof, CIDRs become address bytes + prefix length. A presence match decodes with value "".
 * Resource name: "<namespace>/<name>".
 */
import type { AddressMatch, Authorization, L4Match, StringMatch } from "../../model/authorization.js";
import { AmbitError } from "../../common/errors.js";
import { xdsProtos } from "../wire/protos.js";
import {
  PB_ACTION,
  PB_SCOPE,
  decodePb,
  encodePb,
  type PbAuthorization,
  type PbCidr,
  type PbMatch,
  type PbStringMatch,
} from "../wire/resources.js";
import { formatCidr, parseCidr } from "../../common/ip.js";
import { checkPort, invalidResource, requireText } from "./invalid.js";

export function authorizationResourceName(a: Pick<Authorization, "namespace" | "name">): string {
  return `${a.namespace}/${a.name}`;
}

export function encodeAuthorization(a: Authorization): Uint8Array {
  const what = `Authorization ${authorizationResourceName(a)}`;
  const pb: PbAuthorization = {
    name: a.name,
    namespace: a.namespace,
    scope: PB_SCOPE[a.scope],
    action: PB_ACTION[a.action],
    rules: a.rules.map((r) => ({
      clauses: r.clauses.map((c) => ({ matches: c.matches.map((m) => matchToPb(m, what)) })),
    })),
    dry_run: a.dryRun,
    l7_warning: a.l7Warning ?? "",
  };
  return encodePb(xdsProtos().Authorization, pb);
}

function matchToPb(m: L4Match, what: string): PbMatch {
  const cidrs = (list: AddressMatch[]) => list.map((x) => cidrToPb(x, what));
  return {
    namespaces: m.namespaces.map(stringToPb),
    not_namespaces: m.notNamespaces.map(stringToPb),
    principals: m.principals.map(stringToPb),
    not_principals: m.notPrincipals.map(stringToPb),
    source_ips: cidrs(m.sourceIps),
    not_source_ips: cidrs(m.notSourceIps),
    destination_ips: cidrs(m.destinationIps),
    not_destination_ips: cidrs(m.notDestinationIps),
    destination_ports: m.destinationPorts,
    not_destination_ports: m.notDestinationPorts,
  };
}

function stringToPb(s: StringMatch): PbStringMatch {
  switch (s.kind) {
    case "exact":
      return { exact: s.value };
    case "prefix":
      return { prefix: s.value };
    case "suffix":
      return { suffix: s.value };
    case "presence":
      return { presence: {} };
  }
}

function cidrToPb(a: AddressMatch, what: string): PbCidr {
  const c = parseCidr(a.cidr);
  if (!c) {
    throw new AmbitError(
      "XDS_ENCODE_INVALID",
      `${what}: "${a.cidr}" is not a CIDR`,
      "the policy compiler let through an ipBlock it should have rejected; report this as a control plane bug",
    );
  }
  return { address: c.address, length: c.length };
}

/** Decodes and validates; throws an XDS_INVALID_RESOURCE AmbitError (-> NACK) when unusable. */
export function decodeAuthorization(bytes: Uint8Array): Authorization {
  let pb: PbAuthorization;
  try {
    pb = decodePb<PbAuthorization>(xdsProtos().Authorization, bytes);
  } catch (e) {
    throw invalidResource(
      "Authorization",
      "(message)",
      `not a valid istio.security.Authorization: ${(e as Error).message}`,
    );
  }
  const namespace = requireText("Authorization", "namespace", pb.namespace);
  const name = requireText("Authorization", "name", pb.name);
  const what = `Authorization ${namespace}/${name}`;
  const a: Authorization = {
    name,
    namespace,
    scope: enumName(PB_SCOPE, pb.scope ?? 0, what, "scope"),
    action: enumName(PB_ACTION, pb.action ?? 0, what, "action"),
    rules: (pb.rules ?? []).map((r, ri) => ({
      clauses: (r.clauses ?? []).map((c, ci) => ({
        matches: (c.matches ?? []).map((m, mi) =>
          pbToMatch(m, what, `rules[${ri}].clauses[${ci}].matches[${mi}]`),
        ),
      })),
    })),
    dryRun: pb.dry_run ?? false,
  };
  if (pb.l7_warning) a.l7Warning = pb.l7_warning;
  return a;
}

function enumName<K extends string>(table: Record<K, number>, value: number, what: string, path: string): K {
  const name = (Object.keys(table) as K[]).find((k) => table[k] === value);
  if (name === undefined) throw invalidResource(what, path, `unknown value ${value}`);
  return name;
}

function pbToMatch(m: PbMatch, what: string, path: string): L4Match {
  const strings = (list: PbStringMatch[] | undefined, field: string) =>
    (list ?? []).map((s, i) => pbToString(s, what, `${path}.${field}[${i}]`));
  const cidrs = (list: PbCidr[] | undefined, field: string) =>
    (list ?? []).map((c, i) => {
      const text = formatCidr(c.address ?? new Uint8Array(), c.length ?? 0);
      if (text === undefined)
        throw invalidResource(what, `${path}.${field}[${i}]`, "invalid address bytes or prefix length");
      return { cidr: text };
    });
  const ports = (list: number[] | undefined, field: string) =>
    (list ?? []).map((p, i) => checkPort(what, `${path}.${field}[${i}]`, p, false));
  return {
    namespaces: strings(m.namespaces, "namespaces"),
    notNamespaces: strings(m.not_namespaces, "not_namespaces"),
    principals: strings(m.principals, "principals"),
    notPrincipals: strings(m.not_principals, "not_principals"),
    sourceIps: cidrs(m.source_ips, "source_ips"),
    notSourceIps: cidrs(m.not_source_ips, "not_source_ips"),
    destinationIps: cidrs(m.destination_ips, "destination_ips"),
    notDestinationIps: cidrs(m.not_destination_ips, "not_destination_ips"),
    destinationPorts: ports(m.destination_ports, "destination_ports"),
    notDestinationPorts: ports(m.not_destination_ports, "not_destination_ports"),
  };
}

function pbToString(s: PbStringMatch, what: string, path: string): StringMatch {
  switch (s.match_type) {
    case "exact":
      return { kind: "exact", value: s.exact ?? "" };
    case "prefix":
      return { kind: "prefix", value: s.prefix ?? "" };
    case "suffix":
      return { kind: "suffix", value: s.suffix ?? "" };
    case "presence":
      return { kind: "presence", value: "" };
    default:
      throw invalidResource(what, path, "no match type set");
  }
}
