/**
 * google.protobuf.Struct -> plain JSON, for the node metadata a proxy sends in its first
 * request (labels, namespace, IP, ...): protobufjs has no built-in JSON mapping for Struct.
 * (The client writes Struct itself: request-writer.ts.)
 * Field names are camelCase here, unlike the rest of the wire types: protobufjs supplies
 * google/protobuf/struct.proto from its bundled definitions, which are spelled that way.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface PbValue {
  nullValue?: number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: PbStruct | null;
  listValue?: { values?: PbValue[] } | null;
  /** protobufjs' virtual oneof field: which member is set. */
  kind?: string;
}

export interface PbStruct {
  fields?: Record<string, PbValue>;
}

export function fromStruct(s: PbStruct | null | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}

function fromValue(v: PbValue): JsonValue {
  switch (v.kind) {
    case "numberValue":
      return v.numberValue ?? 0;
    case "stringValue":
      return v.stringValue ?? "";
    case "boolValue":
      return v.boolValue ?? false;
    case "structValue":
      return fromStruct(v.structValue);
    case "listValue":
      return (v.listValue?.values ?? []).map(fromValue);
    default:
      return null;
  }
}
