/**
 * `ambit analyze`: validation of each document, then checks across documents that catch what
 * breaks an ambient mesh although every document is valid on its own — policies the node proxy
 * cannot enforce, references to nothing, subsets selecting no pod, conflicting policies. Pure:
 * documents in, findings out.
 */
import { sortFindings, type Finding } from "../api/findings.js";
import type { SourceDocument } from "../api/load.js";
import { validateAll, type ValidatedDocument } from "../api/validate.js";
import { checkAuthorizationPolicies } from "./check-authz.js";
import { checkDestinationRules } from "./check-destinationrules.js";
import { checkWaypointGateways } from "./check-gateways.js";
import { checkPeerAuthentications } from "./check-peerauthn.js";
import { checkPolicyTargets } from "./check-policy-targets.js";
import { checkRequestAuthentications } from "./check-requestauthn.js";
import { checkRoutes } from "./check-routes.js";
import { checkGatewaySelectors } from "./check-selectors.js";
import { checkVirtualServices } from "./check-virtualservices.js";
import { checkWaypointLabels } from "./check-waypoint-labels.js";
import { CODES } from "./codes.js";
import { buildContext, type AnalysisContext, type AnalysisOptions } from "./context.js";
import { findingFor, type Check, type Emit } from "./report.js";

/** The checks, in the order their findings are produced (output is sorted anyway). */
export const CHECKS: readonly Check<AnalysisContext>[] = [
  checkAuthorizationPolicies,
  checkWaypointGateways,
  checkRequestAuthentications,
  checkGatewaySelectors,
  checkPolicyTargets,
  checkWaypointLabels,
  checkVirtualServices,
  checkDestinationRules,
  checkRoutes,
  checkPeerAuthentications,
];

/** Cross-document findings over documents that passed validation. */
export function analyzeValidated(
  valid: readonly ValidatedDocument[],
  options: AnalysisOptions = {},
): Finding[] {
  const ctx = buildContext(valid, options);
  const findings: Finding[] = [];
  const emit: Emit = (doc, path, key, message) => findings.push(findingFor(doc, path, key, message));
  for (const check of CHECKS) check(ctx, emit);
  return findings;
}

export interface AnalysisResult {
  /** Validation and analysis findings, sorted (errors first within a document). */
  findings: Finding[];
  /** Documents analyzed (those without validation errors). */
  valid: number;
}

/** Validation, then analysis of the valid documents, as `ambit analyze` runs them. */
export function analyzeDocuments(
  documents: readonly SourceDocument[],
  options: AnalysisOptions = {},
): AnalysisResult {
  const validated = validateAll(documents);
  const analysis = analyzeValidated(validated.valid, options);
  return {
    findings: sortFindings(mergeFindings(validated.findings, analysis)),
    valid: validated.valid.length,
  };
}

// Analysis findings that restate, with a code and a fix, a warning validation gives at the same place.
const RESTATES = new Set([CODES.hboneListenerNotWaypoint.code, CODES.waypointWithoutHbone.code]);
const placeOf = (f: Finding): string => `${f.file ?? ""}:${f.docIndex ?? ""}:${f.path ?? ""}`;

function mergeFindings(validation: readonly Finding[], analysis: readonly Finding[]): Finding[] {
  const restated = new Set(analysis.filter((f) => RESTATES.has(f.code)).map(placeOf));
  const kept = validation.filter(
    (f) => !(f.severity === "warning" && f.code === "INVALID_VALUE" && restated.has(placeOf(f))),
  );
  return [...kept, ...analysis];
}
