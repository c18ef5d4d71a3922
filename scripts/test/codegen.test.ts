import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import {
  CodegenError,
  codegen,
  collectAbis,
  collectDeployments,
  collectErrors,
  readDeployment,
  readErrorDocs,
} from "../lib/codegen.ts";

const REPO = path.resolve(import.meta.dirname, "../..");

const TOKEN_ABI = [{ type: "function", name: "transfer", inputs: [], outputs: [], stateMutability: "nonpayable" }];
const REGISTRY_ABI = [{ type: "event", name: "Registered", inputs: [], anonymous: false }];

async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value));
}

function artifact(contractName: string, sourceName: string, abi: unknown[], bytecode = "0x6080") {
  return { _format: "hh3-artifact-1", contractName, sourceName, abi, bytecode };
}

/** The journal lines Ignition writes for one contract deployment, as seen in deploy/deployments/chain-31337. */
function deploymentLines(futureId: string, address: string, blockNumber: number, complete = true): object[] {
  const lines: object[] = [
    { futureId, futureType: "NAMED_ARTIFACT_CONTRACT_DEPLOYMENT", type: "DEPLOYMENT_EXECUTION_STATE_INITIALIZE" },
    { futureId, networkInteractionId: 1, nonce: 0, type: "TRANSACTION_PREPARE_SEND" },
    {
      futureId,
      hash: "0x01",
      networkInteractionId: 1,
      receipt: { blockHash: "0x02", blockNumber, contractAddress: address, logs: [], status: "SUCCESS" },
      type: "TRANSACTION_CONFIRM",
    },
  ];
  if (complete)
    lines.push({ futureId, result: { address, type: "SUCCESS" }, type: "DEPLOYMENT_EXECUTION_STATE_COMPLETE" });
  return lines;
}

async function writeJournal(dir: string, lines: object[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "journal.jsonl"), `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
}

const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

describe("codegen", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "fourfold-codegen-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function fixture(name: string) {
    const dir = path.join(root, name);
    const artifactsDir = path.join(dir, "artifacts");
    await writeJson(
      path.join(artifactsDir, "contracts/Token.sol/Token.json"),
      artifact("Token", "contracts/Token.sol", TOKEN_ABI),
    );
    await writeJson(
      path.join(artifactsDir, "contracts/Registry.sol/Registry.json"),
      artifact("Registry", "contracts/Registry.sol", REGISTRY_ABI),
    );
    await writeJson(
      path.join(artifactsDir, "contracts/interfaces/IToken.sol/IToken.json"),
      artifact("IToken", "contracts/interfaces/IToken.sol", TOKEN_ABI, "0x"),
    );
    await writeJson(path.join(artifactsDir, "test/Mock.sol/Mock.json"), artifact("Mock", "test/Mock.sol", TOKEN_ABI));
    return { dir, artifactsDir, deploymentsDir: path.join(dir, "deployments"), outDir: path.join(dir, "generated") };
  }

  it("takes the ABI of every deployable contract under contracts/, sorted, and leaves out interfaces and tests", async () => {
    const { artifactsDir } = await fixture("abis");
    const abis = await collectAbis(artifactsDir);
    assert.deepEqual(
      abis.map((a) => [a.contractName, a.sourceName]),
      [
        ["Registry", "contracts/Registry.sol"],
        ["Token", "contracts/Token.sol"],
      ],
    );
    assert.deepEqual(abis[1]?.abi, TOKEN_ABI);
  });

  it("refuses two contracts with one name, and a missing artifacts directory", async () => {
    const { artifactsDir } = await fixture("clash");
    await writeJson(
      path.join(artifactsDir, "contracts/other/Token.sol/Token.json"),
      artifact("Token", "contracts/other/Token.sol", []),
    );
    await assert.rejects(collectAbis(artifactsDir), (error: Error) => {
      assert.ok(error instanceof CodegenError);
      assert.match(
        error.message,
        /two contracts are named Token \(contracts\/Token\.sol and contracts\/other\/Token\.sol\)/,
      );
      return true;
    });
    await assert.rejects(collectAbis(path.join(root, "nowhere")), /no compiled contracts .* run `npm run build` first/);
  });

  it("reads addresses and creation blocks from an Ignition journal, skipping futures that did not complete", async () => {
    const dir = path.join(root, "journal", "chain-31337");
    await writeJournal(dir, [
      { chainId: 31337, type: "DEPLOYMENT_INITIALIZE" },
      ...deploymentLines("Fourfold#Token", TOKEN, 1),
      ...deploymentLines("Fourfold#Registry", REGISTRY, 4, false),
    ]);
    assert.deepEqual(await readDeployment(dir), {
      chainId: 31337,
      contracts: { Token: { address: TOKEN, startBlock: 1 } },
    });
  });

  it("refuses a damaged journal and one without a chain id, naming the file and line", async () => {
    const damaged = path.join(root, "damaged");
    await mkdir(damaged, { recursive: true });
    await writeFile(
      path.join(damaged, "journal.jsonl"),
      `${JSON.stringify({ chainId: 1, type: "DEPLOYMENT_INITIALIZE" })}\n{"futureId":`,
    );
    await assert.rejects(readDeployment(damaged), /damaged[/\\]journal\.jsonl:2 is not JSON/);
    const headless = path.join(root, "headless");
    await writeJournal(headless, deploymentLines("Fourfold#Token", TOKEN, 1));
    await assert.rejects(readDeployment(headless), /does not say which chain it deployed to/);
  });

  it("keeps one deployment per chain and refuses two on the same chain", async () => {
    const deploymentsDir = path.join(root, "many");
    await writeJournal(path.join(deploymentsDir, "chain-31337"), [
      { chainId: 31337, type: "DEPLOYMENT_INITIALIZE" },
      ...deploymentLines("Fourfold#Token", TOKEN, 1),
    ]);
    await writeJournal(path.join(deploymentsDir, "chain-84532"), [
      { chainId: 84532, type: "DEPLOYMENT_INITIALIZE" },
      ...deploymentLines("Fourfold#Token", REGISTRY, 9_000_000),
    ]);
    assert.deepEqual(await collectDeployments(deploymentsDir), {
      31337: { Token: { address: TOKEN, startBlock: 1 } },
      84532: { Token: { address: REGISTRY, startBlock: 9_000_000 } },
    });
    await writeJournal(path.join(deploymentsDir, "again"), [{ chainId: 31337, type: "DEPLOYMENT_INITIALIZE" }]);
    await assert.rejects(
      collectDeployments(deploymentsDir),
      /deployments again and chain-31337 are both on chain 31337/,
    );
    assert.deepEqual(await collectDeployments(path.join(root, "absent")), {});
  });

  it("collects every error of the contracts once, with its NatSpec, and refuses two errors of one name", async () => {
    // The repository's own contracts (npm test compiles them first): a market's revert may come from the registry it
    // calls, or from OpenZeppelin's token, so every error is in one list, told in the words of its NatSpec.
    const errors = collectErrors(await collectAbis(path.join(REPO, "artifacts")));
    const names = errors.map((e) => e.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of [
      "NodeInsufficientCapacity",
      "NodeOffline",
      "LeaseTooSmall",
      "DataInvalidUses",
      "ERC20InsufficientBalance",
    ]) {
      assert.ok(names.includes(name), name);
    }
    const docs = await readErrorDocs(REPO, errors);
    assert.deepEqual(docs.LeaseTooSmall, {
      notice:
        "A lease must hold at least one CPU core and 64 MiB of memory (MIN_CPU, MIN_MEMORY_MIB): a workload runs on no fewer.",
      params: { cpu: "The cores asked for.", memoryMiB: "The memory asked for, in MiB." },
    });
    assert.equal(docs.NodeInsufficientCapacity?.notice, "The node's free capacity is less than requested.");
    assert.match(docs.ERC20InsufficientBalance?.notice ?? "", /balance/); // OpenZeppelin's @dev
    const undocumented = errors.filter((e) => docs[e.name]?.notice === undefined).map((e) => e.name);
    // Every error of ours has a notice; the only ones without are OpenZeppelin's ShortStrings (EIP712's name and
    // version), raised at construction alone.
    assert.deepEqual(undocumented, ["InvalidShortString", "StringTooLong"]);

    const clash = (inputs: object[]) => ({ type: "error", name: "Clash", inputs });
    assert.throws(
      () =>
        collectErrors([
          { contractName: "A", sourceName: "contracts/A.sol", abi: [clash([])] },
          { contractName: "B", sourceName: "contracts/B.sol", abi: [clash([{ type: "uint256", name: "x" }])] },
        ]),
      (error: Error) =>
        error instanceof CodegenError &&
        /two errors are named Clash \(Clash\(\) in A, Clash\(uint256\) in B\)/.test(error.message),
    );
  });

  it("writes a module that exports the ABIs as const, the deployments by numeric chain id, and a lookup", async () => {
    const { artifactsDir, deploymentsDir, outDir } = await fixture("module");
    await writeJournal(path.join(deploymentsDir, "chain-31337"), [
      { chainId: 31337, type: "DEPLOYMENT_INITIALIZE" },
      ...deploymentLines("Fourfold#Token", TOKEN, 1),
      ...deploymentLines("Fourfold#Registry", REGISTRY, 2),
    ]);
    await codegen({ artifactsDir, deploymentsDir, outDir, sourcesRoot: REPO });
    const generated = await import(pathToFileURL(path.join(outDir, "index.ts")).href);
    assert.deepEqual(generated.tokenAbi, TOKEN_ABI);
    assert.deepEqual(Object.keys(generated.abis), ["Registry", "Token"]);
    assert.deepEqual(generated.deploymentsOn(31337), {
      Registry: { address: REGISTRY, startBlock: 2 },
      Token: { address: TOKEN, startBlock: 1 },
    });
    assert.throws(() => generated.deploymentsOn(1), /Fourfold is not deployed on chain 1 \(deployed on: 31337\)/);
  });
});
