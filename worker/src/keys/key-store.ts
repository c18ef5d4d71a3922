// The data owner's dataset keys: one file per dataset content, `<content hash>.key` in a directory only the owner can
// read, holding the 32-byte key as 0x-prefixed hex. One key per content: encrypting the same content again reuses
// its key, so the key is known (and stored) before the dataset is registered, and the keys role can find it for any
// grant of that content from the dataset's on-chain content hash alone.
//
// A key is written to a temporary file, flushed, then linked into place, which fails if the name exists: a crash
// never leaves a torn key, and two processes creating the same content's key agree on the one that won.
import { link, mkdir, open, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { generateDatasetKey } from "../crypto/dataset.ts";

const HASH = /^0x[0-9a-f]{64}$/;

export class DatasetKeyStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  private fileOf(contentHash: string): string {
    const hash = contentHash.toLowerCase();
    if (!HASH.test(hash)) throw new Error(`not a content hash (0x and 64 hex digits): ${contentHash}`);
    return path.join(this.dir, `${hash}.key`);
  }

  /** The key stored for `contentHash`, or undefined. A file that is not a key is an error, never ignored. */
  async get(contentHash: string): Promise<Uint8Array | undefined> {
    const file = this.fileOf(contentHash);
    let text: string;
    try {
      text = (await readFile(file, "utf8")).trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new Error(`${file}: expected a 0x-prefixed 32-byte hex key`);
    return Uint8Array.from(Buffer.from(text.slice(2), "hex"));
  }

  /** The key for `contentHash`: the stored one, or a fresh one, durably stored before it is returned. */
  async keyFor(contentHash: string): Promise<Uint8Array> {
    const existing = await this.get(contentHash);
    if (existing !== undefined) return existing;
    const file = this.fileOf(contentHash);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${bytesToHex(randomBytes(6))}.tmp`;
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(`0x${bytesToHex(generateDatasetKey())}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      await unlink(temporary);
    }
    const stored = await this.get(contentHash);
    if (stored === undefined) throw new Error(`${file} vanished after it was written`);
    return stored;
  }
}
