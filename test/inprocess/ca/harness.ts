/**
 * In-process CA server for tests: the real gRPC service on 127.0.0.1:<ephemeral> over TLS with
 * a serving certificate from the CA itself, and a real grpc-js client. Not a test file.
 */
import * as grpc from "@grpc/grpc-js";
import { addCaService, type CaServiceDeps } from "../../../src/controlplane/ca-service.js";
import {
  createCaClient,
  type CaClient,
  type PbIstioCertificateRequest,
  type PbIstioCertificateResponse,
} from "../../../src/identity/ca-proto.js";

export interface Running {
  port: number;
  close(): Promise<void>;
}

export async function startServer(deps: CaServiceDeps, creds: grpc.ServerCredentials): Promise<Running> {
  const server = new grpc.Server();
  addCaService(server, deps);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Clients in tests are closed first; force after a moment so the process can exit.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}

export function connect(port: number, rootsPem: string): CaClient {
  return createCaClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(rootsPem)));
}

export interface CallResult {
  res?: PbIstioCertificateResponse;
  err?: grpc.ServiceError;
}

export function createCertificate(
  client: CaClient,
  req: Partial<PbIstioCertificateRequest>,
  token: string | undefined,
): Promise<CallResult> {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set("authorization", `Bearer ${token}`);
  return new Promise((resolve) =>
    client.CreateCertificate(req, md, { deadline: Date.now() + 10_000 }, (err, res) =>
      resolve(err ? { err } : { res: res! }),
    ),
  );
}

/** Request metadata as ztunnel sends it for a workload on its node. */
export const impersonating = (identity: string): Partial<PbIstioCertificateRequest>["metadata"] => ({
  fields: { ImpersonatedIdentity: { stringValue: identity } },
});
