import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

// Hardhat would download solc; the `solc` npm package ships the same compiler as soljson.js, and the
// `path` option makes Hardhat use it, so compiling needs nothing but the npm registry.
const require = createRequire(import.meta.url);
const compiler = {
  version: "0.8.37",
  path: require.resolve("solc/soljson.js"),
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "prague",
  },
};
// NodeRegistry holds the heartbeats and the farming reward accounting they feed, and the legacy pipeline makes it
// about 24,500 bytes, at EIP-170's 24,576-byte limit; through the IR pipeline it is about 21,800. LeaseMarket's
// closeLease costs about 560 gas less through it, which keeps it within its budget now that ending a lease also
// updates the node's utilisation accounting (bench/results/gas.json has the figures).
const viaIR = { ...compiler, settings: { ...compiler.settings, viaIR: true } };
const profile = {
  compilers: [compiler],
  overrides: {
    "contracts/NodeRegistry.sol": viaIR,
    "contracts/LeaseMarket.sol": viaIR,
    "contracts/JobMarket.sol": viaIR,
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: profile,
      production: profile,
    },
  },
  paths: {
    // Ignition modules, their parameters and their deployment records live in deploy/.
    ignition: "deploy",
    tests: {
      mocha: "test/contracts",
      solidity: "test/solidity",
    },
  },
  test: {
    solidity: {
      profiles: {
        // `npm test`: 256 runs of each fuzz test and each invariant campaign.
        default: {
          fuzz: { runs: 256 },
          invariant: { runs: 256, depth: 30, failOnRevert: true },
        },
        // `npm run test:intense`: the same properties over 10,000 runs each.
        intense: {
          fuzz: { runs: 10_000 },
          invariant: { runs: 10_000, depth: 30, failOnRevert: true },
        },
      },
    },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // `npm start` runs its chain here; FOURFOLD_RPC_PORT moves it (scripts/start.ts checks the value).
    localhost: { type: "http", chainType: "l1", url: `http://127.0.0.1:${process.env.FOURFOLD_RPC_PORT ?? "8545"}` },
    // A public testnet (an Ethereum L2 first). Keys and RPC URL come from Hardhat's keystore or the
    // environment, never from this file: `npx hardhat keystore set TESTNET_PRIVATE_KEY`.
    testnet: {
      type: "http",
      chainType: "op",
      url: configVariable("TESTNET_RPC_URL"),
      accounts: [configVariable("TESTNET_PRIVATE_KEY")],
    },
  },
});
