import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testTotals } from "../lib/test-totals.ts";

describe("testTotals", () => {
  it("counts Hardhat's combined summary once, not mocha's own line as well", () => {
    const log = ["  87 passing (1s)", "", "96 passing (9 solidity, 87 mocha)", ""].join("\n");
    assert.deepEqual(testTotals(log), { passed: 96, failed: 0 });
  });

  it("adds failures from Hardhat (coloured or not) and node:test, cancelled tests included", () => {
    const log = [
      "\u001b[32m94 passing\u001b[39m (9 solidity, 85 mocha)",
      "\u001b[31m2 failing\u001b[39m (2 mocha)",
      "  2 failing",
      "# tests 9",
      "# pass 7",
      "# fail 1",
      "# cancelled 1",
      "# skipped 0",
    ].join("\n");
    assert.deepEqual(testTotals(log), { passed: 101, failed: 4 });
  });

  it("sums several node:test runs and ignores lines that only look alike", () => {
    const log = ["# pass 3", "# fail 0", "ok 1 - # pass 100", "# pass 5", "12 passing tests were expected"].join("\n");
    assert.deepEqual(testTotals(log), { passed: 8, failed: 0 });
  });

  it("gives zeros for a log where no tests ran", () => {
    assert.deepEqual(testTotals("npm error Lifecycle script `lint` failed\n"), { passed: 0, failed: 0 });
  });
});
