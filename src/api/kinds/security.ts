// Filled in by its own change; see kinds/core.ts for the pattern.
export {};
