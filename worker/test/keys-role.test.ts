// Dataset keys end to end: a real file encrypted with the library, registered on a real local chain (scripts/start.ts
// on a port this test chose), a grantee's request approved, the real keys role (the worker program, sending from an
// Operator key of the owner) delivering the sealed key, and the grantee decrypting the original bytes. A third party
// cannot. The role is killed and restarted: it delivers what was approved meanwhile, never a key twice, waits for a
// grantee without an encryption key, and ignores datasets whose keys it does not hold.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  bytesToHex,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  hexToBytes,
  http,
  parseEther,
  zeroHash,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { freePort, type Running, runNode, startChain } from "../../scripts/test/support.ts";
import {
  contentHash,
  DatasetCryptoError,
  decryptDataset,
  encryptDataset,
  generateDatasetKey,
  openDatasetKey,
} from "../src/crypto/dataset.ts";
import { generateKeyPair, SealError } from "../src/crypto/seal.ts";
import { KeyPurpose, signBindKey } from "../src/identity.ts";
import { DatasetKeyStore } from "../src/keys/key-store.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Hardhat's published test accounts: on the local chain only.
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const OWNER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const GRANTEE_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const Purpose = { Training: 1, Inference: 2, Analytics: 3 } as const;
const GrantState = { Requested: 1, Active: 2 } as const;
const DAY = 86_400n;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

describe("keys role (integration)", { timeout: 240_000 }, () => {
  let grid: Running;
  let role: Running | undefined;
  let dir: string;
  let rpcUrl: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-keys-role-"));
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    grid = await startChain(port);
  });

  after(async () => {
    if (role !== undefined && role.child.exitCode === null) {
      role.child.kill("SIGKILL");
      await role.exited;
    }
    if (grid.child.exitCode === null) {
      grid.child.kill("SIGINT");
      await grid.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers each approved grant's key sealed to its grantee, once, across a restart; only the grantee decrypts", async () => {
    const { abis, deploymentsOn } = await import("@fourfold/contracts");
    const deployed = deploymentsOn(31337);
    const address = (name: keyof typeof abis) => {
      const found = deployed[name];
      if (found === undefined) throw new Error(`${name} not deployed`);
      return found.address;
    };
    const chain = defineChain({
      id: 31337,
      name: "local",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    });
    const client = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 });
    const wallet = (key: Hex) =>
      createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(rpcUrl) });
    const deployer = wallet(DEPLOYER_KEY);
    const owner = wallet(OWNER_KEY);
    const grantee = wallet(GRANTEE_KEY);
    const token = { address: address("FoldToken"), abi: abis.FoldToken } as const;
    const identities = { address: address("IdentityRegistry"), abi: abis.IdentityRegistry } as const;
    const market = { address: address("DataMarket"), abi: abis.DataMarket } as const;
    const mined = async (hash: Hex) => {
      const receipt = await client.waitForTransactionReceipt({ hash });
      assert.equal(receipt.status, "success");
      return receipt;
    };
    const register = async (who: typeof owner, handle: string) => {
      await mined(await who.writeContract({ ...identities, functionName: "register", args: [handle, ""] }));
      return client.readContract({ ...identities, functionName: "idOfHandle", args: [handle] });
    };
    const deliveries = async (grantId: bigint) =>
      client.getContractEvents({ ...market, eventName: "KeyDelivered", args: { grantId }, fromBlock: 0n });

    // The data owner's identity, and an Operator key (with gas) that the keys role sends from.
    const ownerId = await register(owner, "data-owner");
    const operatorKey = generatePrivateKey();
    const operator = privateKeyToAccount(operatorKey);
    await mined(await deployer.sendTransaction({ to: operator.address, value: parseEther("10") }));
    const deadline = (await client.getBlock()).timestamp + 3_600n;
    const signature = await signBindKey({
      key: operator,
      chainId: 31337,
      registry: identities.address,
      identityId: ownerId,
      purpose: KeyPurpose.Operator,
      nonce: 0n,
      deadline,
    });
    await mined(
      await owner.writeContract({
        ...identities,
        functionName: "bindKey",
        args: [ownerId, operator.address, KeyPurpose.Operator, deadline, signature],
      }),
    );

    // The grantee: an identity with an X25519 encryption key, FOLD, and an allowance for the market.
    const granteeId = await register(grantee, "researcher");
    const granteeKeys = generateKeyPair();
    await mined(
      await grantee.writeContract({
        ...identities,
        functionName: "setEncryptionKey",
        args: [granteeId, bytesToHex(granteeKeys.publicKey)],
      }),
    );
    await mined(
      await deployer.writeContract({
        ...token,
        functionName: "transfer",
        args: [grantee.account.address, parseEther("1000")],
      }),
    );
    await mined(
      await grantee.writeContract({ ...token, functionName: "approve", args: [market.address, parseEther("1000")] }),
    );

    // A real file, encrypted in 4 KiB chunks (several of them) under the key the owner's key store holds for it.
    const original = await readFile(path.join(ROOT, "contracts", "DataMarket.sol"));
    assert.ok(original.length > 3 * 4_096, "the file spans several chunks");
    const keyStore = new DatasetKeyStore(path.join(dir, "dataset-keys"));
    const hash = contentHash(original);
    const datasetKey = await keyStore.keyFor(hash);
    assert.deepEqual(await keyStore.keyFor(hash), datasetKey, "one key per content");
    const encryptedFile = path.join(dir, "DataMarket.sol.enc");
    await writeFile(encryptedFile, encryptDataset(datasetKey, original, 4_096));

    const terms = (autoApprove: boolean) => ({
      pricePerDay: parseEther("1"),
      pricePerUse: parseEther("0.1"),
      maxDuration: 7 * 86_400,
      purposes: (1 << Purpose.Training) | (1 << Purpose.Analytics),
      autoApprove,
      licenceHash: zeroHash,
    });
    const registerDataset = async (who: typeof owner, identityId: bigint, content: Hex, autoApprove: boolean) => {
      const { result, request } = await client.simulateContract({
        ...market,
        account: who.account,
        functionName: "registerDataset",
        args: [identityId, "Measurements", content, `file://${encryptedFile}`, terms(autoApprove), []],
      });
      await mined(await who.writeContract(request));
      return result;
    };
    const requestAccess = async (datasetId: bigint, purpose: number = Purpose.Analytics) => {
      const price = await client.readContract({ ...market, functionName: "quote", args: [datasetId, DAY, 3n] });
      const { result, request } = await client.simulateContract({
        ...market,
        account: grantee.account,
        functionName: "requestAccess",
        args: [datasetId, granteeId, purpose, DAY, 3n, price],
      });
      await mined(await grantee.writeContract(request));
      return result;
    };
    const datasetId = await registerDataset(owner, ownerId, hash, false);

    // The keys role, run as the worker program, sending from the Operator key.
    const keyFile = path.join(dir, "operator.key");
    await writeFile(keyFile, `${operatorKey}\n`, { mode: 0o600 });
    const stateDir = path.join(dir, "keys-state");
    const startRole = () =>
      runNode(
        [
          path.join(ROOT, "worker", "src", "main.ts"),
          "keys",
          "--key-file",
          keyFile,
          "--key-store",
          keyStore.dir,
          "--rpc-url",
          rpcUrl,
          "--state-dir",
          stateDir,
          "--poll-interval-ms",
          "200",
          "--retry-interval-seconds",
          "1",
        ],
        { cwd: ROOT },
      );
    role = startRole();
    await role.until(/keys role running/, 30_000);

    // A request waits for the owner: no key before approval.
    const grantId = await requestAccess(datasetId);
    await sleep(1_000);
    let grant = await client.readContract({ ...market, functionName: "grant", args: [grantId] });
    assert.equal(grant.state, GrantState.Requested);
    assert.equal(grant.keyDelivered, false);
    assert.equal((await deliveries(grantId)).length, 0);

    // Approved: the role delivers the key, sealed to the grantee.
    await mined(await owner.writeContract({ ...market, functionName: "approve", args: [grantId] }));
    const [delivered] = await eventually("key delivered", async () => {
      const found = await deliveries(grantId);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(delivered?.args.granteeId, granteeId);
    const tx = await client.getTransaction({ hash: delivered?.transactionHash as Hex });
    assert.equal(tx.from.toLowerCase(), operator.address.toLowerCase(), "sent from the Operator key");
    grant = await client.readContract({ ...market, functionName: "grant", args: [grantId] });
    assert.equal(grant.state, GrantState.Active);
    assert.equal(grant.keyDelivered, true);

    // The grantee opens the key and decrypts the published file to the original bytes, which match the on-chain hash.
    const sealedKey = hexToBytes(delivered?.args.sealedKey as Hex);
    const encrypted = await readFile(encryptedFile);
    const opened = openDatasetKey(granteeKeys.secretKey, sealedKey);
    const decrypted = decryptDataset(opened, encrypted);
    assert.deepEqual(Buffer.from(decrypted), original);
    const onChain = await client.readContract({ ...market, functionName: "dataset", args: [datasetId] });
    assert.equal(contentHash(decrypted), onChain.contentHash);

    // A third party, with its own key pair, cannot open the sealed key, nor decrypt with a key of its own.
    const eve = generateKeyPair();
    assert.throws(() => openDatasetKey(eve.secretKey, sealedKey), SealError);
    assert.throws(() => decryptDataset(generateDatasetKey(), encrypted), DatasetCryptoError);

    // Killed; meanwhile an auto-approved dataset gets a grant, and the grantee registers a dataset of its own (whose
    // key the owner's store does not hold) and grants itself access to it.
    role.child.kill("SIGKILL");
    await role.exited;
    const autoHash = contentHash(new TextEncoder().encode("a second dataset"));
    await keyStore.keyFor(autoHash);
    const autoDataset = await registerDataset(owner, ownerId, autoHash, true);
    const autoGrant = await requestAccess(autoDataset);
    const foreignDataset = await registerDataset(grantee, granteeId, contentHash(new Uint8Array([1, 2, 3])), true);
    const foreignGrant = await requestAccess(foreignDataset);
    assert.equal(
      (await client.readContract({ ...market, functionName: "grant", args: [autoGrant] })).state,
      GrantState.Active,
    );

    // Restarted: it delivers the grant approved while it was down, leaves the foreign one alone, and never delivers
    // the first one again.
    role = startRole();
    await eventually("auto-approved key delivered", async () =>
      (await deliveries(autoGrant)).length === 1 ? true : undefined,
    );
    const autoSealed = (await deliveries(autoGrant))[0]?.args.sealedKey as Hex;
    assert.deepEqual(openDatasetKey(granteeKeys.secretKey, hexToBytes(autoSealed)), await keyStore.get(autoHash));

    // A grantee that drops its encryption key after requesting is waited for, and served once it sets one again.
    const waitingGrant = await requestAccess(datasetId, Purpose.Training);
    await mined(
      await grantee.writeContract({ ...identities, functionName: "setEncryptionKey", args: [granteeId, zeroHash] }),
    );
    await mined(await owner.writeContract({ ...market, functionName: "approve", args: [waitingGrant] }));
    await role.until(/grant waiting for its key/, 30_000);
    const state = JSON.parse(await readFile(path.join(stateDir, "state.json"), "utf8"));
    assert.match(state.waiting[String(waitingGrant)]?.reason ?? "", /has no encryption key/);
    assert.equal((await deliveries(waitingGrant)).length, 0);
    await mined(
      await grantee.writeContract({
        ...identities,
        functionName: "setEncryptionKey",
        args: [granteeId, bytesToHex(granteeKeys.publicKey)],
      }),
    );
    await eventually("waiting grant served", async () =>
      (await deliveries(waitingGrant)).length === 1 ? true : undefined,
    );
    await eventually("no longer waiting", async () => {
      const saved = JSON.parse(await readFile(path.join(stateDir, "state.json"), "utf8"));
      return saved.waiting[String(waitingGrant)] === undefined ? true : undefined;
    });

    // Exactly one delivery per grant of ours, none for the foreign one, after another kill and restart.
    role.child.kill("SIGKILL");
    await role.exited;
    role = startRole();
    await role.until(/keys role running/, 30_000);
    await sleep(1_500);
    assert.equal((await deliveries(grantId)).length, 1);
    assert.equal((await deliveries(autoGrant)).length, 1);
    assert.equal((await deliveries(waitingGrant)).length, 1);
    assert.equal((await deliveries(foreignGrant)).length, 0);

    // Ctrl-C stops it cleanly.
    role.child.kill("SIGINT");
    const exit = await role.exited;
    assert.equal(exit.code, 0, role.output());
  });
});
