// An X25519 key pair kept in a file (the secret key as 0x-prefixed hex, mode 0600), created on first use.
import { open, readFile } from "node:fs/promises";
import { generateKeyPair, publicKeyOf, type X25519KeyPair } from "./seal.ts";

export async function loadOrCreateKeyPair(file: string): Promise<X25519KeyPair & { created: boolean }> {
  let text: string | undefined;
  try {
    text = (await readFile(file, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (text !== undefined) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new Error(`${file}: expected a 0x-prefixed 32-byte hex X25519 key`);
    const secretKey = Uint8Array.from(Buffer.from(text.slice(2), "hex"));
    return { secretKey, publicKey: publicKeyOf(secretKey), created: false };
  }
  const pair = generateKeyPair();
  // "wx": never overwrite a key another process wrote meanwhile.
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(`0x${Buffer.from(pair.secretKey).toString("hex")}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { ...pair, created: true };
}
