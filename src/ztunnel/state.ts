/**
 * The node proxy's indexed store of what the control plane pushed: workloads, services,
 * authorizations and config documents (PeerAuthentication). Written only by the xDS glue
 * (`attach`, or the upsert/remove methods), read by the data path through lookups; ztunnel keeps
 * the same split (src/state.rs ProxyState: WorkloadStore, ServiceStore, PolicyStore).
 *
 * Invariants, kept on every write:
 *   - an index entry exists only for the current version of an object: updating a workload
 *     removes the IPs, node and services it no longer has, updating a service the VIPs it no
 *     longer has;
 *   - a service's endpoints are the workloads whose `services` name it, whichever of the two
 *     arrives first, as in ztunnel (src/state/service.rs: a decoded Service has no endpoints,
 *     the store fills them from workloads and stages those that arrive before their service).
 *     The control plane does not send them with the Service, so a pod that comes or goes
 *     changes one resource, not two;
 *   - an address owned by two objects at once (an IP moving from a deleted pod to a new one
 *     before the old one's removal arrives) resolves to the most recently written owner, and to
 *     the other again when that one goes;
 *   - compiled policies are built once per Authorization version; `policiesFor` results are
 *     cached per workload and dropped when the workload or any Authorization changes.
 * One network is assumed (Ambit's modes have one): addresses are not qualified by network.
 *
 * The root namespace (where PeerAuthentication and AuthorizationPolicy apply mesh-wide) is the
 * one the control plane pushes with the mesh settings (xds/convert/mesh.ts); the value given at
 * construction (the `--root-namespace` flag) is only the fallback until that first push, and
 * again if the control plane ever withdraws the document.
 */
import { EventEmitter } from "node:events";
import { keyOf, type Resource } from "../api/resource.js";
import type { Authorization } from "../model/authorization.js";
import { serviceKey, type Service, type Workload } from "../model/workload.js";
import { compilePolicy, type CompiledPolicy } from "../policy/compile.js";
import { canonicalIp } from "../policy/ip.js";
import { isPeerAuthentication } from "../policy/peer-authentication.js";
import { policiesFor } from "../policy/select.js";
import type { XdsChange, XdsSubscription } from "../xds/client/subscription.js";
import type { AddressResource } from "../xds/convert/address.js";
import type { XdsConfigDocument } from "../xds/convert/config.js";
import {
  isMeshConfigDocument,
  meshSettingsOf,
  MESH_CONFIG_RESOURCE_NAME,
  type ProxyMeshSettings,
} from "../xds/convert/mesh.js";

export interface ProxyStateOptions {
  /**
   * Mesh root namespace (mesh-wide PeerAuthentication lives there) until the control plane
   * pushes its own. Default "istio-system".
   */
  rootNamespace?: string;
}

export interface ProxySubscriptions {
  addresses: XdsSubscription<AddressResource>;
  authorizations: XdsSubscription<Authorization>;
  config: XdsSubscription<XdsConfigDocument>;
}

export interface ProxyStateChange {
  kind: "workload" | "service" | "authorization" | "config" | "mesh";
  /** uid, service key, "<ns>/<name>", config key, or the mesh document's name. */
  key: string;
  removed: boolean;
}

export interface ProxyStateEvents {
  change: [ProxyStateChange];
}

/** address -> owners, the most recently written last. */
class AddressIndex {
  private readonly owners = new Map<string, string[]>();

  add(address: string, owner: string): void {
    const list = (this.owners.get(address) ?? []).filter((o) => o !== owner);
    list.push(owner);
    this.owners.set(address, list);
  }

  remove(address: string, owner: string): void {
    const list = (this.owners.get(address) ?? []).filter((o) => o !== owner);
    if (list.length > 0) this.owners.set(address, list);
    else this.owners.delete(address);
  }

  get(address: string): string | undefined {
    return this.owners.get(address)?.at(-1);
  }
}

const NO_ENDPOINTS: ReadonlySet<string> = new Set();

function addTo(index: Map<string, Set<string>>, key: string, member: string): void {
  const set = index.get(key);
  if (set) set.add(member);
  else index.set(key, new Set([member]));
}

function removeFrom(index: Map<string, Set<string>>, key: string, member: string): void {
  const set = index.get(key);
  if (!set?.delete(member)) return;
  if (set.size === 0) index.delete(key);
}

const canonicalAll = (ips: readonly string[]): string[] => [
  ...new Set(ips.map((ip) => canonicalIp(ip) ?? ip)),
];

export class ProxyState extends EventEmitter<ProxyStateEvents> {
  /** The `--root-namespace` fallback, used until the control plane pushes mesh settings. */
  readonly fallbackRootNamespace: string;
  /** Incremented on every write, so readers can cache what they derive. */
  version = 0;
  // the mesh settings last pushed; undefined before the first push (the fallback applies)
  private pushedMesh?: ProxyMeshSettings;

  // uid -> workload
  private readonly workloadsByUid = new Map<string, Workload>();
  // canonical workload IP -> uids
  private readonly workloadIps = new AddressIndex();
  // node -> uids
  private readonly workloadsByNode = new Map<string, Set<string>>();
  // service key -> service
  private readonly servicesByKey = new Map<string, Service>();
  // service key -> uids of the workloads that name it in their `services`
  private readonly endpointsByService = new Map<string, Set<string>>();
  // canonical VIP -> service keys
  private readonly serviceVips = new AddressIndex();
  // "<ns>/<name>" -> compiled policy (holds its Authorization as `source`)
  private readonly policies = new Map<string, CompiledPolicy>();
  // config key ("group/Kind/ns/name") -> document
  private readonly configs = new Map<string, Resource>();
  // uid -> policies that apply to it (cache)
  private readonly applied = new Map<string, CompiledPolicy[]>();
  // xDS address resource name -> what it holds (uid or service key)
  private readonly addressNames = new Map<string, { kind: "workload" | "service"; key: string }>();

  constructor(opts: ProxyStateOptions = {}) {
    super();
    this.fallbackRootNamespace = opts.rootNamespace ?? "istio-system";
  }

  /** Where mesh-wide policies live: the pushed mesh settings, else the fallback. */
  get rootNamespace(): string {
    return this.pushedMesh?.rootNamespace ?? this.fallbackRootNamespace;
  }

  /** Where the root namespace comes from, for the config dump. */
  meshSettings(): { rootNamespace: string; source: "control plane" | "flag"; trustDomain?: string } {
    return this.pushedMesh
      ? { ...this.pushedMesh, source: "control plane" }
      : { rootNamespace: this.fallbackRootNamespace, source: "flag" };
  }

  // ---- writes ----

  upsertWorkload(w: Workload): void {
    this.unindexWorkload(w.uid);
    this.workloadsByUid.set(w.uid, w);
    for (const ip of canonicalAll(w.addresses)) this.workloadIps.add(ip, w.uid);
    if (w.node !== "") addTo(this.workloadsByNode, w.node, w.uid);
    for (const key of Object.keys(w.services)) addTo(this.endpointsByService, key, w.uid);
    this.changed({ kind: "workload", key: w.uid, removed: false });
  }

  removeWorkload(uid: string): void {
    if (!this.unindexWorkload(uid)) return;
    this.changed({ kind: "workload", key: uid, removed: true });
  }

  upsertService(s: Service): void {
    const key = serviceKey(s);
    this.unindexService(key);
    this.servicesByKey.set(key, s);
    for (const vip of canonicalAll(s.addresses)) this.serviceVips.add(vip, key);
    this.changed({ kind: "service", key, removed: false });
  }

  removeService(key: string): void {
    if (!this.unindexService(key)) return;
    this.changed({ kind: "service", key, removed: true });
  }

  upsertAuthorization(a: Authorization): void {
    const key = `${a.namespace}/${a.name}`;
    this.policies.set(key, compilePolicy(a));
    this.applied.clear();
    this.changed({ kind: "authorization", key, removed: false });
  }

  removeAuthorization(key: string): void {
    if (!this.policies.delete(key)) return;
    this.applied.clear();
    this.changed({ kind: "authorization", key, removed: true });
  }

  /** Mesh settings from the control plane; undefined withdraws them (back to the fallback). */
  setMeshSettings(settings: ProxyMeshSettings | undefined): void {
    if (!settings && !this.pushedMesh) return;
    const before = this.rootNamespace;
    this.pushedMesh = settings ? { ...settings } : undefined;
    // Which policies are mesh-wide depends on the root namespace: recompute on next use.
    if (this.rootNamespace !== before) this.applied.clear();
    this.changed({ kind: "mesh", key: MESH_CONFIG_RESOURCE_NAME, removed: settings === undefined });
  }

  upsertConfig(doc: Resource): void {
    if (isMeshConfigDocument(doc)) return this.setMeshSettings(meshSettingsOf(doc));
    const key = keyOf(doc);
    this.configs.set(key, doc);
    this.changed({ kind: "config", key, removed: false });
  }

  removeConfig(key: string): void {
    if (key === MESH_CONFIG_RESOURCE_NAME) return this.setMeshSettings(undefined);
    if (!this.configs.delete(key)) return;
    this.changed({ kind: "config", key, removed: true });
  }

  /**
   * Loads what the subscriptions hold and follows their "change" events. Returns a function that
   * stops following them (the state keeps its content).
   */
  attach(subs: ProxySubscriptions): () => void {
    const onAddresses = (c: XdsChange) => this.applyAddresses(subs.addresses, c);
    const onAuthorizations = (c: XdsChange) => {
      for (const name of c.removed) this.removeAuthorization(name);
      for (const name of [...c.added, ...c.updated]) {
        const a = subs.authorizations.get(name);
        if (a) this.upsertAuthorization(a);
      }
    };
    const onConfig = (c: XdsChange) => {
      for (const name of c.removed) this.removeConfig(name);
      for (const name of [...c.added, ...c.updated]) {
        const d = subs.config.get(name);
        if (d) this.upsertConfig(d.document);
      }
    };
    const initial = (names: Iterable<string>): XdsChange => ({
      typeUrl: "",
      systemVersion: "",
      added: [...names],
      updated: [],
      removed: [],
    });
    onAddresses(initial(subs.addresses.resources().keys()));
    onAuthorizations(initial(subs.authorizations.resources().keys()));
    onConfig(initial(subs.config.resources().keys()));
    subs.addresses.on("change", onAddresses);
    subs.authorizations.on("change", onAuthorizations);
    subs.config.on("change", onConfig);
    return () => {
      subs.addresses.off("change", onAddresses);
      subs.authorizations.off("change", onAuthorizations);
      subs.config.off("change", onConfig);
    };
  }

  private applyAddresses(sub: XdsSubscription<AddressResource>, c: XdsChange): void {
    for (const name of c.removed) this.forgetAddressName(name);
    for (const name of [...c.added, ...c.updated]) {
      const r = sub.get(name);
      if (!r) continue;
      const key = r.kind === "workload" ? r.workload.uid : serviceKey(r.service);
      const prev = this.addressNames.get(name);
      // The same name now holds something else (another kind or id): drop the old one first.
      if (prev && (prev.kind !== r.kind || prev.key !== key)) this.forgetAddressName(name);
      this.addressNames.set(name, { kind: r.kind, key });
      if (r.kind === "workload") this.upsertWorkload(r.workload);
      else this.upsertService(r.service);
    }
  }

  private forgetAddressName(name: string): void {
    const prev = this.addressNames.get(name);
    if (!prev) return;
    this.addressNames.delete(name);
    if (prev.kind === "workload") this.removeWorkload(prev.key);
    else this.removeService(prev.key);
  }

  // ---- lookups ----

  workloadByIp(ip: string): Workload | undefined {
    const uid = this.workloadIps.get(canonicalIp(ip) ?? ip);
    return uid === undefined ? undefined : this.workloadsByUid.get(uid);
  }

  workloadByUid(uid: string): Workload | undefined {
    return this.workloadsByUid.get(uid);
  }

  serviceByVip(ip: string): Service | undefined {
    const key = this.serviceVips.get(canonicalIp(ip) ?? ip);
    return key === undefined ? undefined : this.servicesByKey.get(key);
  }

  serviceByKey(key: string): Service | undefined {
    return this.servicesByKey.get(key);
  }

  workloadsOnNode(node: string): Workload[] {
    const uids = this.workloadsByNode.get(node) ?? new Set<string>();
    return [...uids].flatMap((uid) => this.workloadsByUid.get(uid) ?? []);
  }

  workloads(): Workload[] {
    return [...this.workloadsByUid.values()];
  }

  services(): Service[] {
    return [...this.servicesByKey.values()];
  }

  /** Uids of the workloads behind a service (by service key), whether or not it is known yet. */
  endpointsOf(key: string): ReadonlySet<string> {
    return this.endpointsByService.get(key) ?? NO_ENDPOINTS;
  }

  /** The services with their endpoints filled in, sorted by uid (config dump, ztunnel-config). */
  servicesWithEndpoints(): Service[] {
    return this.services().map((s) => ({ ...s, endpoints: [...this.endpointsOf(serviceKey(s))].sort() }));
  }

  authorizations(): Authorization[] {
    return [...this.policies.values()].map((p) => p.source);
  }

  /** PeerAuthentication documents (security.istio.io, any version) among the config documents. */
  peerAuthentications(): Resource[] {
    return [...this.configs.values()].filter(isPeerAuthentication);
  }

  configDocuments(): Resource[] {
    return [...this.configs.values()];
  }

  /** Compiled policies that apply to `workload` (policy/select.ts), in evaluation order. */
  policiesFor(workload: Workload): CompiledPolicy[] {
    const cacheable = this.workloadsByUid.get(workload.uid) === workload;
    const hit = cacheable ? this.applied.get(workload.uid) : undefined;
    if (hit) return hit;
    const keys = policiesFor(workload, this.authorizations(), this.rootNamespace).map(
      (a) => `${a.namespace}/${a.name}`,
    );
    const out = keys.flatMap((k) => this.policies.get(k) ?? []);
    if (cacheable) this.applied.set(workload.uid, out);
    return out;
  }

  // ---- internals ----

  private unindexWorkload(uid: string): boolean {
    const old = this.workloadsByUid.get(uid);
    if (!old) return false;
    for (const ip of canonicalAll(old.addresses)) this.workloadIps.remove(ip, uid);
    removeFrom(this.workloadsByNode, old.node, uid);
    for (const key of Object.keys(old.services)) removeFrom(this.endpointsByService, key, uid);
    this.workloadsByUid.delete(uid);
    this.applied.delete(uid);
    return true;
  }

  private unindexService(key: string): boolean {
    const old = this.servicesByKey.get(key);
    if (!old) return false;
    for (const vip of canonicalAll(old.addresses)) this.serviceVips.remove(vip, key);
    this.servicesByKey.delete(key);
    return true;
  }

  private changed(change: ProxyStateChange): void {
    this.version++;
    this.emit("change", change);
  }
}
