// The app's blob store: content-addressed files (named by their sha256) in FOURFOLD_BLOBS_DIR, for what is too large
// to put on-chain and must be fetched by others: a job's input (workers fetch it and check its sha256 against the
// job's inputHash) and a dataset's encrypted content. A blob is written once, atomically; a second upload of the same
// bytes is a no-op.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

/** The largest blob accepted: 4 MiB (workers accept job inputs up to 10 MiB by default). */
export const MAX_BLOB_BYTES = 4 * 1024 * 1024;
export const BLOB_HASH = /^0x[0-9a-f]{64}$/;

export const sha256 = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}` as const;

/** Stores `bytes` under their sha256 in `dir`; returns the hash. */
export async function putBlob(dir: string, bytes: Uint8Array): Promise<`0x${string}`> {
  const hash = sha256(bytes);
  const file = path.join(dir, hash);
  if (
    await stat(file).then(
      (s) => s.size === bytes.length,
      () => false,
    )
  ) {
    return hash;
  }
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await writeFile(partial, bytes, { flag: "wx" });
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return hash;
}

/** The blob named `hash`, or undefined when there is none. */
export async function getBlob(dir: string, hash: string): Promise<Uint8Array | undefined> {
  if (!BLOB_HASH.test(hash)) return undefined;
  return readFile(path.join(dir, hash)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
}
