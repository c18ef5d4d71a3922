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
// JobMarket and the JobSettlement library it is linked to (which holds its tallies, rounds and payouts, so that the
// market fits EIP-170) need it too, to keep their locals within the stack.
const viaIR = { ...compiler, settings: { ...compiler.settings, viaIR: true } };
const profile = {
  compilers: [compiler],
  overrides: {
    "contracts/NodeRegistry.sol": viaIR,
    "contracts/LeaseMarket.sol": viaIR,
    "contracts/JobMarket.sol": viaIR,
    "contracts/libraries/JobSettlement.sol": viaIR,
    // A test compiles the contracts it deploys in its own job, with its own settings.
    "test/solidity/JobMarket.t.sol": viaIR,
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
  // `npm run deploy -- --network <name> --verify`: Etherscan (one API key serves every chain it covers; from the
  // keystore), Blockscout and Sourcify (no key).
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
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
    // Public testnets: `npm run deploy -- --network <name>` (docs/deploy.md). Their RPC URLs and the deploying key come
    // from Hardhat's encrypted keystore (`npx hardhat keystore set DEPLOYER_PRIVATE_KEY`), or else the environment
    // variables of the same names; never from this file.
    baseSepolia: {
      type: "http",
      chainType: "op",
      chainId: 84_532,
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      chainId: 11_155_111,
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    // A local chain set up like a testnet, to rehearse a deployment: its own chain id, its own deploying key from the
    // keystore, never one of Hardhat's published keys (scripts/test/deploy.test.ts runs it).
    rehearsal: {
      type: "http",
      chainType: "l1",
      chainId: 31_338,
      url: configVariable("REHEARSAL_RPC_URL", { default: "http://127.0.0.1:8546" }),
      accounts: [configVariable("REHEARSAL_PRIVATE_KEY")],
    },
  },
});
