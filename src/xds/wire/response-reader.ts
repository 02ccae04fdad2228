/**
 * Client-side decoding of DeltaDiscoveryResponse, written against protobufjs' Reader instead of
 * its generated decoder: a response carries up to thousands of resources and the generic path
 * allocates a Resource and an Any object and decodes the same type_url string for each. Here a
 * resource costs its name, version and a zero-copy view of its bytes. Unknown fields are
 * skipped, as protobuf requires, so newer servers stay readable.
 *
 * Field numbers (envoy.service.discovery.v3): DeltaDiscoveryResponse system_version_info=1,
 * resources=2, type_url=4, nonce=5, removed_resources=6; Resource version=1, resource=2,
 * name=3; google.protobuf.Any type_url=1, value=2.
 */
import protobuf from "protobufjs";
import type { XdsDeltaResponse, XdsWireResource } from "./discovery.js";

const LEN = 2; // wire type of length-delimited fields

export function readDeltaResponse(buf: Uint8Array): XdsDeltaResponse {
  const r = protobuf.Reader.create(buf);
  const out: XdsDeltaResponse = { systemVersionInfo: "", typeUrl: "", nonce: "", resources: [], removed: [] };
  const typeUrls = new TypeUrlCache();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LEN) {
      r.skipType(tag & 7);
      continue;
    }
    if (field === 1) out.systemVersionInfo = r.string();
    else if (field === 2) out.resources.push(readResource(r, typeUrls));
    else if (field === 4) out.typeUrl = r.string();
    else if (field === 5) out.nonce = r.string();
    else if (field === 6) out.removed.push(r.string());
    else r.skipType(LEN);
  }
  return out;
}

function readResource(r: protobuf.Reader, typeUrls: TypeUrlCache): XdsWireResource {
  const end = r.uint32() + r.pos;
  const res: XdsWireResource = { name: "", version: "", typeUrl: "", value: EMPTY };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LEN) r.skipType(tag & 7);
    else if (field === 3) res.name = r.string();
    else if (field === 1) res.version = r.string();
    else if (field === 2) readAny(r, res, typeUrls);
    else r.skipType(LEN);
  }
  return res;
}

function readAny(r: protobuf.Reader, res: XdsWireResource, typeUrls: TypeUrlCache): void {
  const end = r.uint32() + r.pos;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LEN) r.skipType(tag & 7);
    else if (field === 1) res.typeUrl = typeUrls.read(r);
    else if (field === 2)
      res.value = r.bytes(); // a view into the message buffer, not a copy
    else r.skipType(LEN);
  }
}

const EMPTY = new Uint8Array(0);

/** Every resource of a response normally has the same type_url: decode it once. */
class TypeUrlCache {
  private bytes: Uint8Array | undefined;
  private text = "";

  read(r: protobuf.Reader): string {
    const len = r.uint32();
    const start = r.pos;
    const cached = this.bytes;
    if (cached && cached.length === len && sameBytes(r.buf, start, cached)) {
      r.pos += len;
      return this.text;
    }
    const text = new TextDecoder().decode(r.buf.subarray(start, start + len));
    r.pos = start + len;
    this.bytes = r.buf.slice(start, start + len);
    this.text = text;
    return text;
  }
}

function sameBytes(buf: Uint8Array, start: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (buf[start + i] !== want[i]) return false;
  return true;
}
