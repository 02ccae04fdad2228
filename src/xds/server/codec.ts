/**
 * The server's DeltaAggregatedResources definition, with a response serializer that does not
 * allocate for large responses. grpc-js calls the serializer and at once copies its result into
 * the gRPC frame it writes (serializeMessage in server-interceptors.js, @grpc/grpc-js 1.14), so
 * the bytes may live in a buffer reused from one response to the next. A response is a body
 * shared by every proxy (bodies.ts) plus a few bytes that differ per proxy; assembling it in a
 * fresh buffer would add a megabyte of garbage per response per proxy, and during an initial
 * push to 100 proxies the full garbage collections that much external memory triggers cost
 * more than the push itself. test/inprocess/xds/fanout.test.ts checks that concurrent large
 * pushes arrive intact, which would catch a grpc-js that kept the buffer.
 */
import { serializeResponse, type XdsOutgoingResponse } from "../wire/discovery.js";
import { deltaAdsService } from "../wire/service.js";

/** Smaller responses are assembled in a buffer of their own (cheap, and from Node's pool). */
const SHARED_MIN_BYTES = 16 << 10;
const EMPTY = Buffer.alloc(0);

let scratch = Buffer.allocUnsafeSlow(0);

export function serializeResponseInPlace(r: XdsOutgoingResponse): Buffer {
  if (r.body.length < SHARED_MIN_BYTES) return serializeResponse(r);
  // The per-proxy fields alone: version, nonce, removed names.
  const tail = serializeResponse({ ...r, body: EMPTY });
  const n = r.body.length + tail.length;
  if (scratch.length < n) scratch = Buffer.allocUnsafeSlow(Math.max(n, scratch.length * 2));
  r.body.copy(scratch, 0);
  tail.copy(scratch, r.body.length);
  return scratch.subarray(0, n);
}

export const serverAdsService: typeof deltaAdsService = {
  DeltaAggregatedResources: {
    ...deltaAdsService.DeltaAggregatedResources,
    responseSerialize: serializeResponseInPlace,
  },
};
