// Dataset encryption: a dataset is encrypted once with a fresh 32-byte key, published encrypted (its URI goes on
// chain), and each grantee receives that key sealed to its X25519 key (./seal.ts) in DataMarket's KeyDelivered event.
//
// Format (version 1), in chunks so that a large file never has to fit in memory twice and a cut or reordered file
// is detected:
//   header: 0x01 || chunk size (4 bytes, big-endian) || nonce prefix (16 random bytes)
//   then each chunk of at most `chunk size` plaintext bytes, encrypted with XChaCha20-Poly1305 under the dataset key,
//   nonce = prefix || chunk index (7 bytes, big-endian) || 0x01 for the last chunk and 0x00 otherwise, and the
//   header as associated data. Every chunk but the last is full; an empty dataset is one empty last chunk.
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { open, seal } from "./seal.ts";

const VERSION = 1;
const KEY_BYTES = 32;
const PREFIX_BYTES = 16;
const HEADER_BYTES = 1 + 4 + PREFIX_BYTES;
const TAG_BYTES = 16;
/** The default chunk: 64 KiB of plaintext. */
export const DEFAULT_CHUNK_BYTES = 65_536;
const MAX_CHUNK_BYTES = 16 * 1_048_576;
const MAX_CHUNKS = 2 ** 56;

/** Why a dataset could not be encrypted or decrypted. */
export class DatasetCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetCryptoError";
  }
}

/** A fresh dataset key. */
export function generateDatasetKey(): Uint8Array {
  return randomBytes(KEY_BYTES);
}

/** The dataset's content hash for DataMarket: sha256 of the plaintext, as 0x-prefixed hex (a bytes32). */
export function contentHash(plaintext: Uint8Array): `0x${string}` {
  return `0x${bytesToHex(sha256(plaintext))}`;
}

function nonceFor(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(prefix, 0);
  let rest = index;
  for (let i = 22; i >= 16; i--) {
    nonce[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  nonce[23] = last ? 1 : 0;
  return nonce;
}

function requireKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new DatasetCryptoError(`a dataset key is ${KEY_BYTES} bytes`);
}

/** Encrypts `plaintext` under `key` (32 bytes) in chunks of `chunkBytes`. */
export function encryptDataset(
  key: Uint8Array,
  plaintext: Uint8Array,
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
): Uint8Array {
  requireKey(key);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new DatasetCryptoError(`the chunk size must be 1 to ${MAX_CHUNK_BYTES} bytes`);
  }
  const chunks = Math.max(1, Math.ceil(plaintext.length / chunkBytes));
  const header = new Uint8Array(HEADER_BYTES);
  header[0] = VERSION;
  new DataView(header.buffer).setUint32(1, chunkBytes);
  header.set(randomBytes(PREFIX_BYTES), 5);
  const prefix = header.subarray(5);
  const out = new Uint8Array(HEADER_BYTES + plaintext.length + chunks * TAG_BYTES);
  out.set(header, 0);
  let offset = HEADER_BYTES;
  for (let i = 0; i < chunks; i++) {
    const part = plaintext.subarray(i * chunkBytes, Math.min(plaintext.length, (i + 1) * chunkBytes));
    const sealed = xchacha20poly1305(key, nonceFor(prefix, i, i === chunks - 1), header).encrypt(part);
    out.set(sealed, offset);
    offset += sealed.length;
  }
  return out;
}

/** Decrypts what `encryptDataset` produced; throws a `DatasetCryptoError` for a wrong key or an altered file. */
export function decryptDataset(key: Uint8Array, encrypted: Uint8Array): Uint8Array {
  requireKey(key);
  if (encrypted.length < HEADER_BYTES + TAG_BYTES) throw new DatasetCryptoError("encrypted dataset too short");
  if (encrypted[0] !== VERSION) throw new DatasetCryptoError(`unknown encrypted dataset version ${encrypted[0]}`);
  const header = encrypted.subarray(0, HEADER_BYTES);
  const chunkBytes = new DataView(header.buffer, header.byteOffset).getUint32(1);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new DatasetCryptoError("invalid chunk size");
  const prefix = header.subarray(5);
  const body = encrypted.subarray(HEADER_BYTES);
  const sealedChunk = chunkBytes + TAG_BYTES;
  const chunks = Math.max(1, Math.ceil(body.length / sealedChunk));
  if (chunks > MAX_CHUNKS) throw new DatasetCryptoError("too many chunks");
  const lastBytes = body.length - (chunks - 1) * sealedChunk;
  if (lastBytes < TAG_BYTES) throw new DatasetCryptoError("encrypted dataset truncated");
  const out = new Uint8Array(body.length - chunks * TAG_BYTES);
  for (let i = 0; i < chunks; i++) {
    const part = body.subarray(i * sealedChunk, Math.min(body.length, (i + 1) * sealedChunk));
    let plain: Uint8Array;
    try {
      plain = xchacha20poly1305(key, nonceFor(prefix, i, i === chunks - 1), header).decrypt(part);
    } catch {
      throw new DatasetCryptoError(`chunk ${i} does not decrypt: a wrong key, or the file was altered or cut`);
    }
    out.set(plain, i * chunkBytes);
  }
  return out;
}

/** The dataset key sealed to a grantee's X25519 public key, for `DataMarket.deliverKey`. */
export function sealDatasetKey(granteePublicKey: Uint8Array, key: Uint8Array): Uint8Array {
  requireKey(key);
  return seal(granteePublicKey, key);
}

/** Opens a delivered dataset key with the grantee's X25519 secret key (throws a `SealError` otherwise). */
export function openDatasetKey(granteeSecretKey: Uint8Array, sealedKey: Uint8Array): Uint8Array {
  const key = open(granteeSecretKey, sealedKey);
  requireKey(key);
  return key;
}
