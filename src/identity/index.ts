// Identity: SPIFFE IDs, the control plane's CA, CSRs, node tokens. Table of contents only.
export { parseSpiffeId, formatSpiffeId, isSpiffeId, checkTrustDomain, type SpiffeId } from "./spiffe.js";
export {
  CertificateAuthority,
  DEFAULT_WORKLOAD_TTL_SECONDS,
  DEFAULT_MAX_WORKLOAD_TTL_SECONDS,
  type CertificateAuthorityOptions,
  type CaMode,
  type SignRequest,
  type WorkloadCertificate,
  type ServingCertRequest,
  type ServingCertificate,
} from "./ca.js";
export type { IssuedCertificate } from "./ca-issue.js";
export { PLUGIN_FILES } from "./ca-plugin.js";
export { ROOT_CERT_FILE, ROOT_KEY_FILE, selfSignedCaDir } from "./ca-selfsigned.js";
export { generateKeyAndCsr, type KeyAndCsr } from "./csr.js";
export { verifyCsr, MAX_CSR_PEM_BYTES, type VerifiedCsr } from "./csr-verify.js";
export { decideIssuance, type IssuanceInput, type IssuanceDecision } from "./issuance-policy.js";
export { NodeTokenStore, NODE_TOKENS_FILE, type NodeTokenInfo } from "./node-tokens.js";
export { ServingCertProvider } from "./serving-cert.js";
export {
  CA_SERVICE_NAME,
  IMPERSONATED_IDENTITY_KEY,
  caServiceDefinition,
  createCaClient,
  type CaClient,
  type PbIstioCertificateRequest,
  type PbIstioCertificateResponse,
} from "./ca-proto.js";
export { certificatesDer, pemEncode } from "./pem.js";
