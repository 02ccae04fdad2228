/**
 * Turns the store's snapshot into what proxies receive: registry (pure) -> encoded xDS resources
 * per type. Kept apart from server.ts so the benchmark and tests can drive it directly.
 *
 * Besides the stored documents, the config type carries one document of mesh settings
 * (xds/convert/mesh.ts: root namespace, trust domain), so proxies follow the mesh config without
 * a restart.
 */
import { gvkOf, type Resource } from "../api/resource.js";
import type { Snapshot } from "./store/snapshot.js";
import { Materializer } from "./registry/materialize.js";
import { RegistryBuilder } from "./registry/registry.js";
import { resolveMesh, type AllocationTable, type NodeSpec, type RegistryMesh } from "./registry/types.js";
import type { Authorization } from "../model/authorization.js";
import { serviceKey, type Service, type Workload } from "../model/workload.js";
import {
  ADDRESS_TYPE_URL,
  AUTHORIZATION_TYPE_URL,
  CONFIG_TYPE_URL,
  authorizationResourceName,
  configResourceName,
  encodeAuthorization,
  encodeConfig,
  encodeService,
  encodeWorkload,
  type XdsConfigDocument,
} from "../xds/index.js";
import { meshConfigDocument, MESH_CONFIG_RESOURCE_NAME } from "../xds/convert/mesh.js";

/** Kinds a waypoint or gateway compiles itself; carried to proxies as ConfigResource. */
const CONFIG_KINDS = new Set([
  "networking.istio.io/VirtualService",
  "networking.istio.io/DestinationRule",
  "networking.istio.io/ServiceEntry",
  "networking.istio.io/Gateway",
  "security.istio.io/AuthorizationPolicy",
  "security.istio.io/PeerAuthentication",
  "security.istio.io/RequestAuthentication",
  "telemetry.istio.io/Telemetry",
  "gateway.networking.k8s.io/Gateway",
  "gateway.networking.k8s.io/HTTPRoute",
  "gateway.networking.k8s.io/GRPCRoute",
  "networking.k8s.io/NetworkPolicy",
]);

export interface DerivedState {
  /** Every pod, Deployment pods included, as scheduled (nodeName, status.podIP). */
  pods: Resource[];
  /** Never changed once published (controlplane/node-identities.ts indexes it by identity). */
  workloads: readonly Workload[];
  services: Service[];
  authorizations: Authorization[];
  /** Pods the scheduler could not place, and registry warnings, for logs and the config dump. */
  warnings: string[];
  allocations: AllocationTable;
  /** typeUrl -> (resource name -> encoded resource); built when first read. */
  readonly resources: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
  /**
   * typeUrl -> what differs from the state the same Deriver returned before (every type is
   * listed, possibly with no change); absent from the first state of a Deriver.
   */
  changes?: ReadonlyMap<string, ResourceChanges>;
}

export interface ResourceChanges {
  /** Added or changed: name -> encoded resource. */
  upserts: Map<string, Uint8Array>;
  removed: string[];
}

/** The full computation from scratch; `Deriver` gives the same result incrementally. */
export function derive(
  snapshot: Snapshot,
  mesh: RegistryMesh,
  nodes: readonly NodeSpec[],
  previous: AllocationTable,
): DerivedState {
  return new Deriver().update(snapshot, mesh, nodes, previous);
}

/** One type's resources as a list of domain objects; name and encoding by position. */
interface TypeList {
  items: readonly object[];
  name(i: number): string;
  encode(i: number): Uint8Array;
}

interface ConfigDoc {
  name: string;
  doc: XdsConfigDocument;
}

/**
 * derive() kept across config changes. The scheduler, the registry and the encodings remember
 * their results per object (registry/memo.ts), so a change to one pod re-derives and re-encodes
 * about one workload rather than all 12,000 resources of a large mesh, and `changes` says what
 * to hand the xDS server. Same output as derive(), by construction and by test.
 */
export class Deriver {
  private readonly materializer = new Materializer();
  private readonly registry = new RegistryBuilder();
  // workload, service, authorization or config document -> its encoding; the registry hands
  // back the same object while it is unchanged
  private readonly encoded = new WeakMap<object, Uint8Array>();
  // stored document -> its ConfigResource, or null when it is not of a config kind
  private readonly configDocs = new WeakMap<Resource, ConfigDoc | null>();
  // typeUrl -> the lists of the last state, and whether their names were all distinct
  private last = new Map<string, { lists: TypeList[]; unique: boolean }>();
  // the mesh settings document, kept while the settings are the same (the diff compares objects)
  private mesh?: { key: string; doc: ConfigDoc };

  update(
    snapshot: Snapshot,
    mesh: RegistryMesh,
    nodes: readonly NodeSpec[],
    previous: AllocationTable,
  ): DerivedState {
    const resources: Resource[] = [];
    for (const o of snapshot.objects.values()) resources.push(o.resource);
    const warnings: string[] = [];
    let allocations = previous;
    let placed = resources;
    let pods: Resource[];
    if (nodes.length > 0) {
      const m = this.materializer.run(resources, nodes, previous);
      placed = m.resources;
      pods = m.pods;
      allocations = m.allocations;
      for (const e of m.errors) warnings.push(e.error.describe());
    } else {
      pods = resources.filter((r) => r.kind === "Pod" && gvkOf(r) === "/Pod");
    }
    const reg = this.registry.build({ resources: placed, mesh, allocations });
    warnings.push(...reg.warnings);

    const config: ConfigDoc[] = [this.meshDoc(mesh)];
    for (const r of resources) {
      const c = this.configDoc(r);
      if (c) config.push(c);
    }
    const types = new Map<string, TypeList[]>([
      [
        ADDRESS_TYPE_URL,
        [
          this.list(reg.workloads, (w) => w.uid, encodeWorkload),
          this.list(reg.services, serviceKey, encodeService),
        ],
      ],
      [
        AUTHORIZATION_TYPE_URL,
        [this.list(reg.authorizations, authorizationResourceName, encodeAuthorization)],
      ],
      [
        CONFIG_TYPE_URL,
        [
          this.list(
            config,
            (c) => c.name,
            (c) => encodeConfig(c.doc),
          ),
        ],
      ],
    ]);
    const first = this.last.size === 0;
    const changes = new Map<string, ResourceChanges>();
    for (const [typeUrl, lists] of types) {
      const before = this.last.get(typeUrl);
      const { changes: c, unique } = diffLists(before?.lists, before?.unique ?? false, lists);
      changes.set(typeUrl, c);
      this.last.set(typeUrl, { lists, unique });
    }

    let maps: Map<string, Map<string, Uint8Array>> | undefined;
    const state: DerivedState = {
      pods,
      workloads: reg.workloads,
      services: reg.services,
      authorizations: reg.authorizations,
      warnings,
      allocations,
      get resources() {
        maps ??= new Map([...types].map(([typeUrl, lists]) => [typeUrl, toMap(lists)]));
        return maps;
      },
    };
    if (!first) state.changes = changes;
    return state;
  }

  private list<T extends object>(
    items: readonly T[],
    name: (item: T) => string,
    encode: (item: T) => Uint8Array,
  ): TypeList {
    const encoded = this.encoded;
    return {
      items,
      name: (i) => name(items[i]!),
      encode: (i) => {
        const item = items[i]!;
        let bytes = encoded.get(item);
        if (!bytes) {
          bytes = encode(item);
          encoded.set(item, bytes);
        }
        return bytes;
      },
    };
  }

  private meshDoc(mesh: RegistryMesh): ConfigDoc {
    const { rootNamespace, trustDomain } = resolveMesh(mesh);
    const key = `${rootNamespace}|${trustDomain}`;
    if (this.mesh?.key !== key) {
      const doc = { document: meshConfigDocument({ rootNamespace, trustDomain }), resourceVersion: "" };
      this.mesh = { key, doc: { name: MESH_CONFIG_RESOURCE_NAME, doc } };
    }
    return this.mesh.doc;
  }

  private configDoc(r: Resource): ConfigDoc | null {
    let c = this.configDocs.get(r);
    if (c === undefined) {
      const doc = { document: r, resourceVersion: r.metadata.resourceVersion ?? "" };
      c = CONFIG_KINDS.has(gvkOf(r)) ? { name: configResourceName(doc), doc } : null;
      this.configDocs.set(r, c);
    }
    return c;
  }
}

/** name -> encoding over the lists, later entries winning, as a full rebuild would. */
function toMap(lists: readonly TypeList[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const l of lists) for (let i = 0; i < l.items.length; i++) out.set(l.name(i), l.encode(i));
  return out;
}

/**
 * What changed between two versions of a type's lists. When every list has kept its length and
 * its names in place (a change to existing objects, the common case), only the positions holding
 * another object are looked at; otherwise the two are compared name by name.
 */
function diffLists(
  before: readonly TypeList[] | undefined,
  beforeUnique: boolean,
  now: readonly TypeList[],
): { changes: ResourceChanges; unique: boolean } {
  const changes: ResourceChanges = { upserts: new Map(), removed: [] };
  if (before && beforeUnique && aligned(before, now)) {
    now.forEach((l, k) => {
      const prev = before[k]!.items;
      for (let i = 0; i < prev.length; i++)
        if (l.items[i] !== prev[i]) changes.upserts.set(l.name(i), l.encode(i));
    });
    return { changes, unique: true };
  }
  // name -> the object that wins it (the last one, as in a full rebuild)
  const next = new Map<string, object>();
  let count = 0;
  for (const l of now)
    for (let i = 0; i < l.items.length; i++) {
      next.set(l.name(i), l.items[i]!);
      count++;
    }
  const prev = new Map<string, object>();
  for (const l of before ?? []) for (let i = 0; i < l.items.length; i++) prev.set(l.name(i), l.items[i]!);
  for (const l of now)
    for (let i = 0; i < l.items.length; i++) {
      const name = l.name(i);
      const item = l.items[i]!;
      if (next.get(name) === item && prev.get(name) !== item) changes.upserts.set(name, l.encode(i));
    }
  for (const name of prev.keys()) if (!next.has(name)) changes.removed.push(name);
  return { changes, unique: next.size === count };
}

/** Same lengths and, wherever the object differs, the same name. */
function aligned(before: readonly TypeList[], now: readonly TypeList[]): boolean {
  if (before.length !== now.length) return false;
  return now.every((l, k) => {
    const prev = before[k]!.items;
    if (prev.length !== l.items.length) return false;
    // A changed object must keep its name: the old name is the previous list's (same function).
    const prevList = before[k]!;
    for (let i = 0; i < prev.length; i++)
      if (l.items[i] !== prev[i] && l.name(i) !== prevList.name(i)) return false;
    return true;
  });
}
