/** Configuration analysis (`ambit analyze`): checks across documents, with Istio's codes where they exist. */
export { analyzeDocuments, analyzeValidated, CHECKS, type AnalysisResult } from "./analyze.js";
export { allCodes, CODES, type AnalysisCode, type CodeKey } from "./codes.js";
export { buildContext, type AnalysisContext, type AnalysisOptions } from "./context.js";
export { formatAnalysisFinding } from "./report.js";
