import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import hre, { network } from "hardhat";
import { GAS_BUDGETS, measureGas } from "../../bench/gas-scenario.ts";

const SNAPSHOT = path.resolve(import.meta.dirname, "../../bench/results/gas.json");

describe("Gas", () => {
  let gas: Record<string, number>;

  before(async () => {
    // A chain of its own: the scenario's numbers depend on the exact state it builds.
    gas = await measureGas(await network.create());
  });

  for (const [name, budget] of Object.entries(GAS_BUDGETS)) {
    it(`${name} stays within ${budget.toLocaleString("en")} gas`, () => {
      expect(gas[name], `${name} was not measured`).to.be.a("number");
      expect(gas[name]).to.be.at.most(budget);
    });
  }

  it("NodeRegistry.heartbeatNewEpoch costs at most 25,000 more than a steady heartbeat", () => {
    expect(gas["NodeRegistry.heartbeatNewEpoch"]).to.be.a("number");
    expect((gas["NodeRegistry.heartbeatNewEpoch"] ?? 0) - (gas["NodeRegistry.heartbeat"] ?? 0)).to.be.at.most(25_000);
  });

  // EIP-170: public chains refuse runtime code above 24,576 bytes. (Coverage builds are larger; it skips this file.)
  const contracts = [
    "FoldToken",
    "IdentityRegistry",
    "ReputationRegistry",
    "NodeRegistry",
    "LeaseMarket",
    "FarmingRewards",
    "DataMarket",
    "JobMarket",
    "JobSettlement",
    "DocumentVerifier",
  ];
  for (const name of contracts) {
    it(`${name} fits in EIP-170's 24,576 bytes of code`, async () => {
      const { deployedBytecode } = await hre.artifacts.readArtifact(name);
      expect((deployedBytecode.length - 2) / 2).to.be.at.most(24_576);
    });
  }

  it("matches the committed snapshot in bench/results/gas.json (run `npm run bench:gas` after a change)", async () => {
    const committed = JSON.parse(await readFile(SNAPSHOT, "utf8"));
    expect(gas).to.deep.equal(committed);
  });
});
