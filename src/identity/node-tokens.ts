/**
 * Per-node bearer tokens for local and hosts mode, where there is no Kubernetes service
 * account to authenticate a node proxy (in Kubernetes, Istio uses the ztunnel's service-account
 * JWT instead). A token is 32 random bytes, shown once when created; only its SHA-256 is kept,
 * in `<stateDir>/node-tokens.json` (0600), so a copy of the state directory does not hand out
 * node credentials. A presented token is hashed and its hash looked up in a map (hex SHA-256 ->
 * node): one lookup however many nodes there are. Comparing it with every node's hash in
 * constant time instead made each xDS connection and each CSR cost O(nodes). Looking up by the
 * digest leaks nothing usable through timing: at most how a stored hash compares with the
 * digest of a token the caller chose, and a hash does not give back its token (the same reason
 * services store API tokens hashed and index them by hash).
 *
 * File format (version 1):
 *   { "version": 1, "nodes": { "<node>": { "sha256": "<hex>", "createdAt": "<ISO time>" } } }
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { DNS_SUBDOMAIN_LOOSE } from "../common/dns-names.js";
import { AmbitError } from "../common/errors.js";
import { writeFileAtomic } from "./files.js";

export const NODE_TOKENS_FILE = "node-tokens.json";
const TOKEN_PREFIX = "ambit-node-";
/** Node names: a loose DNS-1123-style name (common/dns-names.ts), which also suits host names. */
const NODE_NAME = DNS_SUBDOMAIN_LOOSE;

const FileSchema = z.object({
  version: z.literal(1),
  nodes: z.record(
    z.string(),
    z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), createdAt: z.string() }),
  ),
});

export interface NodeTokenInfo {
  node: string;
  createdAt: string;
}

interface Entry {
  /** SHA-256 of the token, lower-case hex: the file's form and the lookup key. */
  sha256: string;
  createdAt: string;
}

const digest = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

export class NodeTokenStore {
  private readonly entries = new Map<string, Entry>(); // node -> token hash
  private readonly nodeByHash = new Map<string, string>(); // hex token hash -> node
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly now: () => Date,
  ) {}

  static async open(stateDir: string, options: { now?: () => Date } = {}): Promise<NodeTokenStore> {
    const store = new NodeTokenStore(join(stateDir, NODE_TOKENS_FILE), options.now ?? (() => new Date()));
    let text: string;
    try {
      text = await readFile(store.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return store;
      throw new AmbitError("NODE_TOKENS_UNREADABLE", `cannot read ${store.file}: ${String(e)}`, undefined, {
        cause: e,
      });
    }
    let parsed: z.infer<typeof FileSchema>;
    try {
      parsed = FileSchema.parse(JSON.parse(text));
    } catch (e) {
      throw new AmbitError(
        "NODE_TOKENS_INVALID",
        `${store.file} is not a valid node token file`,
        "restore it from backup, or delete it and create new node tokens",
        { cause: e },
      );
    }
    for (const [node, v] of Object.entries(parsed.nodes)) {
      store.put(node, { sha256: v.sha256, createdAt: v.createdAt });
    }
    return store;
  }

  /** Creates (or replaces) the token of `node` and returns it. The token is not stored. */
  async create(node: string): Promise<string> {
    if (!NODE_NAME.test(node)) {
      throw new AmbitError(
        "NODE_NAME_INVALID",
        `"${node.slice(0, 300)}" is not a valid node name`,
        "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
      );
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    this.put(node, { sha256: digest(token), createdAt: this.now().toISOString() });
    await this.persist();
    return token;
  }

  /** The node a token belongs to, or undefined. */
  authenticate(token: string): { node: string } | undefined {
    const node = this.nodeByHash.get(digest(token));
    return node === undefined ? undefined : { node };
  }

  /** Revokes the token of `node`; false when it had none. */
  async revoke(node: string): Promise<boolean> {
    const e = this.entries.get(node);
    if (!e) return false;
    this.entries.delete(node);
    this.forgetHash(node, e);
    await this.persist();
    return true;
  }

  list(): NodeTokenInfo[] {
    return [...this.entries]
      .map(([node, e]) => ({ node, createdAt: e.createdAt }))
      .sort((a, b) => a.node.localeCompare(b.node));
  }

  /** Sets (or replaces) a node's entry; the hash of a replaced token stops authenticating. */
  private put(node: string, e: Entry): void {
    const old = this.entries.get(node);
    if (old) this.forgetHash(node, old);
    this.entries.set(node, e);
    this.nodeByHash.set(e.sha256, node);
  }

  /** Drops the lookup of `node`'s hash, unless a hand-edited file gave another node that hash too. */
  private forgetHash(node: string, e: Entry): void {
    if (this.nodeByHash.get(e.sha256) === node) this.nodeByHash.delete(e.sha256);
  }

  private persist(): Promise<void> {
    const snapshot = {
      version: 1,
      nodes: Object.fromEntries(
        [...this.entries].map(([n, e]) => [n, { sha256: e.sha256, createdAt: e.createdAt }]),
      ),
    };
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    // Writes are chained so the file always ends with the latest snapshot.
    const p = this.writing.then(() => writeFileAtomic(this.file, text, 0o600));
    this.writing = p.catch(() => undefined);
    return p;
  }
}
