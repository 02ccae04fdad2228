export { resolveContainer } from "./catalog.js";
export type { BuiltinImage, CatalogContainer, LookPath, ResolvedContainer } from "./catalog.js";
export { hostLookPath } from "./lookpath.js";
export { imageFamily, imageRepository, type ImageFamily } from "./known-images.js";
export { startHttpbin, type Httpbin, type HttpbinOptions } from "./httpbin.js";
