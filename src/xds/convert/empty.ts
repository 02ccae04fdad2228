/**
 * Leaves out the scalar fields of a message that hold their proto3 default ("", 0, false).
 * Go's and Rust's protobuf encoders never write them; protobufjs writes any field present on
 * the object it encodes, which would cost every proxy a few bytes per field per resource.
 */
export function dropEmpty<T extends object>(pb: T): T {
  const fields = pb as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const v = fields[key];
    if (v === "" || v === 0 || v === false || v === undefined) delete fields[key];
  }
  return pb;
}
