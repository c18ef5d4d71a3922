// Sealed boxes: encrypt to an X25519 public key (an identity's encryption key in IdentityRegistry) so that only the
// holder of the matching secret key can open the box. Used for lease manifests now and dataset keys later.
//
// Format (version 1): 0x01 || ephemeral public key (32) || nonce (24) || XChaCha20-Poly1305 ciphertext and tag.
// The key is HKDF-SHA256 over the X25519 shared secret, salted with both public keys, so a box is bound to the
// recipient it was sealed for.
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";

const VERSION = 1;
const INFO = new TextEncoder().encode("fourfold-seal-v1");
const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_BYTES + NONCE_BYTES;

/** Why a box could not be opened; `reason` is safe to put on-chain (a lease rejection). */
export class SealError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
    this.name = "SealError";
  }
}

export interface X25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A fresh X25519 key pair. */
export function generateKeyPair(): X25519KeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { secretKey, publicKey };
}

/** The public key of an X25519 secret key. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

function boxKey(shared: Uint8Array, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  const salt = new Uint8Array(2 * KEY_BYTES);
  salt.set(ephemeralPublic, 0);
  salt.set(recipientPublic, KEY_BYTES);
  return hkdf(sha256, shared, salt, INFO, KEY_BYTES);
}

/** Seals `plaintext` to `recipientPublic` (32 bytes). */
export function seal(recipientPublic: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (recipientPublic.length !== KEY_BYTES) throw new SealError(`a recipient key is ${KEY_BYTES} bytes`);
  const ephemeral = x25519.keygen();
  const shared = x25519.getSharedSecret(ephemeral.secretKey, recipientPublic);
  const nonce = randomBytes(NONCE_BYTES);
  const ciphertext = xchacha20poly1305(boxKey(shared, ephemeral.publicKey, recipientPublic), nonce).encrypt(plaintext);
  const box = new Uint8Array(HEADER_BYTES + ciphertext.length);
  box[0] = VERSION;
  box.set(ephemeral.publicKey, 1);
  box.set(nonce, 1 + KEY_BYTES);
  box.set(ciphertext, HEADER_BYTES);
  return box;
}

/** Opens a box sealed to the public key of `recipientSecret`; throws a `SealError` for anything else. */
export function open(recipientSecret: Uint8Array, box: Uint8Array): Uint8Array {
  if (box.length < HEADER_BYTES + TAG_BYTES) throw new SealError("sealed box too short");
  if (box[0] !== VERSION) throw new SealError(`unknown sealed box version ${box[0]}`);
  const ephemeralPublic = box.subarray(1, 1 + KEY_BYTES);
  const nonce = box.subarray(1 + KEY_BYTES, HEADER_BYTES);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(recipientSecret, ephemeralPublic);
  } catch {
    throw new SealError("invalid ephemeral key");
  }
  try {
    const key = boxKey(shared, ephemeralPublic, publicKeyOf(recipientSecret));
    return xchacha20poly1305(key, nonce).decrypt(box.subarray(HEADER_BYTES));
  } catch {
    throw new SealError("sealed box does not decrypt with this node's key");
  }
}
