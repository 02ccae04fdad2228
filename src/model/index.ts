export * from "./workload.js";
export * from "./authorization.js";
