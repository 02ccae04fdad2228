/**
 * Effective mesh config: Istio's defaults, then the file given with --mesh-config, then the
 * `istio` ConfigMap's `mesh` key in the root namespace (as istiod reads it). The ConfigMap was
 * validated at apply time; the file is checked at start and a bad one stops the control plane.
 */
import { parse } from "yaml";
import { formatFinding, hasErrors } from "../api/findings.js";
import { parseMeshConfig, parseMeshConfigText, type MeshConfig } from "../api/kinds/meshconfig.js";
import { AmbitError } from "../common/errors.js";
import type { Snapshot } from "./store/snapshot.js";
import type { RegistryMesh } from "./registry/types.js";

export interface EffectiveMesh {
  config: MeshConfig;
  /** What the registry needs of it. */
  registry: RegistryMesh;
}

/** Parses and checks the --mesh-config file; throws with every finding when it has errors. */
export function loadMeshFile(text: string, file: string): Record<string, unknown> {
  const { findings } = parseMeshConfigText(text);
  if (hasErrors(findings))
    throw new AmbitError(
      "MESH_CONFIG_INVALID",
      `mesh config ${file} is invalid:\n${findings.map((f) => formatFinding({ ...f, file })).join("\n")}`,
      "fix the file (check it with `ambit validate`) and start again",
    );
  return asObject(parse(text));
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function meshFromSnapshot(snapshot: Snapshot, fileMesh: Record<string, unknown> = {}): EffectiveMesh {
  const rootNamespace = typeof fileMesh.rootNamespace === "string" ? fileMesh.rootNamespace : "istio-system";
  const cm = snapshot.objects.get(`/ConfigMap/${rootNamespace}/istio`)?.resource;
  const text = (cm?.data as Record<string, unknown> | undefined)?.mesh;
  const fromConfigMap = typeof text === "string" ? asObject(parse(text)) : {};
  const { mesh } = parseMeshConfig({ ...fileMesh, ...fromConfigMap });
  return { config: mesh, registry: { trustDomain: mesh.trustDomain, rootNamespace: mesh.rootNamespace } };
}
