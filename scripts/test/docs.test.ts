// The contract reference is generated, and must say what the contracts say: docs/reference.md is exactly what
// `npm run docs` writes from the NatSpec of contracts/ now.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { REFERENCE_CONTRACTS, readNatspec, renderReference } from "../lib/natspec.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("contract reference (docs/reference.md)", () => {
  it("is what npm run docs writes from the contracts' NatSpec now", async () => {
    const docs = await readNatspec(ROOT);
    const expected = renderReference(docs, REFERENCE_CONTRACTS);
    const committed = await readFile(path.join(ROOT, "docs", "reference.md"), "utf8");
    assert.ok(committed === expected, "docs/reference.md is out of date: run `npm run docs` and commit it");
    // Each deployed contract has its section, with the calls people make most.
    for (const name of REFERENCE_CONTRACTS) assert.match(committed, new RegExp(`^## ${name}$`, "m"));
    assert.match(
      committed,
      /^- `openLease\(uint256 tenantId, uint256 nodeId, Resources resources, uint256 deposit, Prices maxPrices, bytes32 deploymentHash\)`$/m,
    );
    assert.match(committed, /^- `requestJob\(JobRequest request\)`$/m);
  });

  it("renders a function's notice, details, parameters and returns, and a struct parameter by its name", () => {
    const rendered = renderReference(
      {
        Example: {
          file: "contracts/Example.sol",
          abi: [
            {
              type: "function",
              name: "open",
              stateMutability: "nonpayable",
              inputs: [
                { name: "id", type: "uint256", internalType: "uint256" },
                {
                  name: "r",
                  type: "tuple",
                  internalType: "struct IExample.Resources",
                  components: [{ name: "cpu", type: "uint32", internalType: "uint32" }],
                },
              ],
              outputs: [{ name: "leaseId", type: "uint256", internalType: "uint256" }],
            },
          ],
          userdoc: { notice: "An example.", methods: { "open(uint256,(uint32))": { notice: "Opens one." } } },
          devdoc: {
            title: "Example",
            methods: {
              "open(uint256,(uint32))": {
                details: "Billing starts at once.",
                params: { id: "The node." },
                returns: { leaseId: "The new lease." },
              },
            },
          },
        },
      },
      ["Example"],
    );
    assert.match(
      rendered,
      /## Example\n\n`contracts\/Example\.sol`\n\n\*\*Example\*\*\n\nAn example\.\n\n### Functions\n\n- `open\(uint256 id, Resources r\)`\n {2}Opens one\.\n {2}Billing starts at once\.\n {4}- `id`: The node\.\n {4}- returns `leaseId`: The new lease\.\n/,
    );
  });
});
