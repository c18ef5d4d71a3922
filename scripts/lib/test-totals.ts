// Sums the test totals that `npm test`'s runners print, for .ci/run's last line. Each runner's own summary is
// counted once: Hardhat's combined line ("96 passing (9 solidity, 87 mocha)", at the start of a line; mocha's
// indented "  87 passing (1s)" is part of it) and node:test's "# pass N" / "# fail N" / "# cancelled N".

export interface Totals {
  passed: number;
  failed: number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters
const ANSI = /\u001b\[[0-9;]*m/g;

export function testTotals(log: string): Totals {
  const totals: Totals = { passed: 0, failed: 0 };
  for (const raw of log.split("\n")) {
    const line = raw.replace(ANSI, "").trimEnd();
    const hardhat = line.match(/^(\d+) (passing|failing) \((?:\d+ [\w-]+)(?:, \d+ [\w-]+)*\)$/);
    if (hardhat) {
      totals[hardhat[2] === "passing" ? "passed" : "failed"] += Number(hardhat[1]);
      continue;
    }
    const nodeTest = line.match(/^# (pass|fail|cancelled) (\d+)$/);
    if (nodeTest) totals[nodeTest[1] === "pass" ? "passed" : "failed"] += Number(nodeTest[2]);
  }
  return totals;
}
