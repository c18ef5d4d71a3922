// Dataset encryption and key sealing: a real file round-trips; a wrong key, an altered, cut or reordered file, and a
// third party holding the sealed key all fail.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import {
  contentHash,
  DatasetCryptoError,
  decryptDataset,
  encryptDataset,
  generateDatasetKey,
  openDatasetKey,
  sealDatasetKey,
} from "../src/crypto/dataset.ts";
import { generateKeyPair, SealError } from "../src/crypto/seal.ts";

// A real file of the repository, a few kilobytes: encrypted in chunks of 1 KiB to cross many chunk boundaries.
const FILE = path.resolve(import.meta.dirname, "../../contracts/DataMarket.sol");

describe("dataset encryption", () => {
  it("round-trips a real file, through a sealed key only the grantee can open", async () => {
    const plaintext = new Uint8Array(await readFile(FILE));
    assert.ok(plaintext.length > 10_000);
    const key = generateDatasetKey();
    const encrypted = encryptDataset(key, plaintext, 1_024);
    assert.equal(encrypted.length, 21 + plaintext.length + Math.ceil(plaintext.length / 1_024) * 16);
    assert.notDeepEqual(encrypted.subarray(21, 121), plaintext.subarray(0, 100));

    const grantee = generateKeyPair();
    const sealed = sealDatasetKey(grantee.publicKey, key);
    assert.ok(sealed.length <= 256, "fits DataMarket.deliverKey");
    const opened = openDatasetKey(grantee.secretKey, sealed);
    assert.deepEqual(decryptDataset(opened, encrypted), plaintext);
    assert.equal(contentHash(decryptDataset(opened, encrypted)), contentHash(plaintext));

    // A third party with the event data (the sealed key) and the encrypted file cannot open the key.
    const thirdParty = generateKeyPair();
    assert.throws(() => openDatasetKey(thirdParty.secretKey, sealed), SealError);
    assert.throws(() => decryptDataset(generateDatasetKey(), encrypted), DatasetCryptoError);
  });

  it("detects an altered, cut, extended or reordered file", () => {
    const key = generateDatasetKey();
    const plaintext = new Uint8Array(5_000).map((_, i) => i % 251);
    const encrypted = encryptDataset(key, plaintext, 1_000);
    const altered = encrypted.slice();
    altered[3_000] = (altered[3_000] ?? 0) ^ 1;
    const cut = encrypted.subarray(0, 21 + 4 * 1_016); // the first four chunks, none of them marked last
    const extended = new Uint8Array([...encrypted, ...encrypted.subarray(21, 21 + 1_016)]);
    const reordered = encrypted.slice();
    reordered.set(encrypted.subarray(21, 21 + 1_016), 21 + 1_016);
    reordered.set(encrypted.subarray(21 + 1_016, 21 + 2 * 1_016), 21);
    const header = encrypted.slice();
    header[2] = (header[2] ?? 0) ^ 1; // another chunk size
    for (const bad of [altered, cut, extended, reordered, header]) {
      assert.throws(() => decryptDataset(key, bad), DatasetCryptoError);
    }
    assert.deepEqual(decryptDataset(key, encrypted), plaintext);
  });

  it("handles an empty dataset, and refuses bad keys, chunk sizes and versions", () => {
    const key = generateDatasetKey();
    assert.deepEqual(decryptDataset(key, encryptDataset(key, new Uint8Array(0))), new Uint8Array(0));
    assert.throws(() => encryptDataset(new Uint8Array(31), new Uint8Array(1)), /a dataset key is 32 bytes/);
    for (const chunk of [0, 1.5, 16 * 1_048_576 + 1]) {
      assert.throws(() => encryptDataset(key, new Uint8Array(1), chunk), /the chunk size must be/);
    }
    const encrypted = encryptDataset(key, new Uint8Array(10));
    encrypted[0] = 2;
    assert.throws(() => decryptDataset(key, encrypted), /unknown encrypted dataset version 2/);
    assert.throws(() => decryptDataset(key, new Uint8Array(20)), /too short/);
    assert.equal(
      contentHash(new TextEncoder().encode("abc")),
      "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});
