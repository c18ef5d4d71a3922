// Unit tests for the worker's pure parts: backoff, sealed boxes, the durable stores, manifests against templates,
// configuration, the wording of a node's reward standing.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, loadKeysConfig, loadNodeConfig } from "../src/config.ts";
import { generateKeyPair, open, SealError, seal } from "../src/crypto/seal.ts";
import { DatasetKeyStore } from "../src/keys/key-store.ts";
import { truncateUtf8 } from "../src/node/agent.ts";
import { checkManifest, fill, ManifestError, type Templates, templatesSchema } from "../src/node/templates.ts";
import { backoffDelay, retry } from "../src/retry.ts";
import { describeRewardStanding, NO_EXPIRY } from "../src/rewards.ts";
import { JsonStore } from "../src/store.ts";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("backoffDelay", () => {
  it("doubles from the base up to the cap, scaled by the jitter", () => {
    const options = { baseMs: 100, maxMs: 1_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 60].map((attempt) => backoffDelay(attempt, options, 0.999_999)),
      [99, 199, 399, 799, 999, 999, 999],
    );
    assert.equal(backoffDelay(3, options, 0), 0);
    assert.equal(backoffDelay(3, options, 0.5), 400);
  });

  it("refuses a negative or fractional attempt", () => {
    assert.throws(() => backoffDelay(-1), RangeError);
    assert.throws(() => backoffDelay(1.5), RangeError);
  });
});

describe("retry", () => {
  it("retries transient errors until the call succeeds, and throws any other error at once", async () => {
    let calls = 0;
    const retried: number[] = [];
    const value = await retry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error("transient");
        return "done";
      },
      { isRetryable: () => true, backoff: { baseMs: 1, maxMs: 2 }, onRetry: (_e, attempt) => retried.push(attempt) },
    );
    assert.equal(value, "done");
    assert.deepEqual(retried, [0, 1]);
    await assert.rejects(
      retry(
        async () => {
          throw new Error("permanent");
        },
        { isRetryable: () => false },
      ),
      /permanent/,
    );
  });

  it("stops waiting when its signal aborts, with the last error", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(
      retry(
        async () => {
          throw new Error("down");
        },
        { isRetryable: () => true, backoff: { baseMs: 10_000, maxMs: 10_000 }, signal: controller.signal },
      ),
      /down/,
    );
  });
});

describe("sealed boxes", () => {
  it("open only with the recipient's secret key, and reveal nothing without it", () => {
    const recipient = generateKeyPair();
    const other = generateKeyPair();
    const message = encode({ template: "http-echo", params: { message: "hi" } });
    const box = seal(recipient.publicKey, message);
    assert.deepEqual(open(recipient.secretKey, box), message);
    assert.notDeepEqual(seal(recipient.publicKey, message), box, "each box has its own ephemeral key and nonce");
    assert.throws(
      () => open(other.secretKey, box),
      (e: unknown) => e instanceof SealError && /does not decrypt/.test(e.reason),
    );
  });

  it("refuse tampered, truncated and unknown-version boxes with a reason", () => {
    const recipient = generateKeyPair();
    const box = seal(recipient.publicKey, encode("x"));
    const tampered = box.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    assert.throws(() => open(recipient.secretKey, tampered), /does not decrypt/);
    assert.throws(() => open(recipient.secretKey, box.subarray(0, 40)), /too short/);
    const version = box.slice();
    version[0] = 2;
    assert.throws(() => open(recipient.secretKey, version), /unknown sealed box version 2/);
    assert.throws(() => seal(new Uint8Array(31), encode("x")), /32 bytes/);
  });
});

describe("JsonStore", () => {
  it("keeps what was written across reopening, and refuses a file that does not match its schema", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-store-"));
    try {
      const file = path.join(dir, "state.json");
      const schema = z.object({ cursor: z.number(), leases: z.array(z.string()) });
      const store = await JsonStore.open(file, schema, { cursor: 0, leases: [] });
      await store.update((s) => {
        s.cursor = 7;
        s.leases.push("1");
      });
      const again = await JsonStore.open(file, schema, { cursor: 0, leases: [] });
      assert.deepEqual(again.get(), { cursor: 7, leases: ["1"] });
      await assert.rejects(
        again.update((s) => {
          (s as { cursor: unknown }).cursor = "seven";
        }),
      );
      assert.deepEqual(
        JSON.parse(await readFile(file, "utf8")),
        { cursor: 7, leases: ["1"] },
        "a bad update writes nothing",
      );
      await writeFile(file, JSON.stringify({ cursor: "x" }));
      await assert.rejects(JsonStore.open(file, schema, { cursor: 0, leases: [] }), /not a valid state file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("manifests and templates", () => {
  const templates: Templates = templatesSchema.parse({
    "http-echo": {
      command: "node",
      args: ["worker/templates/http-echo.ts", "--port", "{port}", "--message", "{message}"],
      params: { message: { type: "string", maxLength: 20 }, replicas: { type: "integer", min: 1, max: 3 } },
      endpoint: "http://{host}:{port}",
    },
  });

  it("accepts a manifest that names an allowed template with parameters in range", () => {
    const { manifest, template } = checkManifest(
      encode({ template: "http-echo", params: { message: "hi", replicas: 2 } }),
      templates,
    );
    assert.equal(manifest.template, "http-echo");
    assert.equal(fill(template.endpoint, { host: "127.0.0.1", port: 8080 }), "http://127.0.0.1:8080");
  });

  for (const [what, manifest, reason] of [
    ["not JSON", "{", "manifest is not UTF-8 JSON"],
    ["not an object of the right shape", { template: "http-echo", extra: 1 }, "manifest is not {template, params}"],
    ["an unknown template", { template: "bash", params: {} }, "unknown template bash"],
    [
      "an unknown parameter",
      { template: "http-echo", params: { message: "a", replicas: 1, cmd: "rm" } },
      "unknown parameter cmd",
    ],
    ["a missing parameter", { template: "http-echo", params: { message: "a" } }, "missing parameter replicas"],
    [
      "an integer out of range",
      { template: "http-echo", params: { message: "a", replicas: 4 } },
      "parameter replicas must be an integer in 1..3",
    ],
    [
      "a string too long",
      { template: "http-echo", params: { message: "x".repeat(21), replicas: 1 } },
      "parameter message must be a string of at most 20 characters",
    ],
  ] as const) {
    it(`rejects ${what}`, () => {
      const bytes = typeof manifest === "string" ? new TextEncoder().encode(manifest) : encode(manifest);
      assert.throws(
        () => checkManifest(bytes, templates),
        (e: unknown) => e instanceof ManifestError && e.reason === reason,
      );
    });
  }

  it("refuses templates whose placeholders name nothing, or whose parameters shadow a built-in", () => {
    assert.throws(
      () => templatesSchema.parse({ t: { command: "x", args: ["{nope}"], endpoint: "e" } }),
      /neither a parameter nor a built-in/,
    );
    assert.throws(
      () =>
        templatesSchema.parse({
          t: { command: "x", params: { port: { type: "integer", min: 1, max: 2 } }, endpoint: "e" },
        }),
      /clashes with a built-in/,
    );
  });
});

describe("loadNodeConfig", () => {
  const valid = {
    farm: { handle: "my-farm", name: "My farm" },
    node: { country: "BE", prices: { cpu: "0.01", memoryGiB: "0.005", ssdGiB: "0", hddGiB: "0", gpu: "0" } },
  };

  async function withFiles(config: unknown, key: string, run: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-config-"));
    try {
      await writeFile(path.join(dir, "node.json"), typeof config === "string" ? config : JSON.stringify(config));
      await writeFile(path.join(dir, "node.key"), key);
      await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n";
  const flags = (dir: string, ...more: string[]) => [
    "--config",
    path.join(dir, "node.json"),
    "--key-file",
    path.join(dir, "node.key"),
    "--state-dir",
    path.join(dir, "state"),
    ...more,
  ];

  it("parses flags, environment and the file into a frozen config with defaults", async () => {
    await withFiles(valid, KEY, async (dir) => {
      const config = await loadNodeConfig(flags(dir), { FOURFOLD_RPC_URL: "http://127.0.0.1:9999", PATH: "/usr/bin" });
      assert.equal(config.rpcUrl, "http://127.0.0.1:9999");
      assert.equal(config.nodeAccount.address, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
      assert.equal(config.ownerAccount, undefined);
      assert.equal(config.file.node.prices.cpu, 10n ** 16n);
      assert.equal(config.file.pollIntervalMs, 2_000);
      assert.deepEqual(config.childEnv, { PATH: "/usr/bin" });
      assert.equal(config.encryptionKeyFile, path.join(dir, "state", "encryption.key"));
      assert.ok(Object.isFrozen(config));
    });
  });

  for (const [what, config, key, extra, message] of [
    ["a missing --config", undefined, KEY, [], /--config is required/],
    ["a config that is not JSON", "{", KEY, [], /not JSON/],
    ["a country that is not a code", { ...valid, node: { ...valid.node, country: "be" } }, KEY, [], /node\.country/],
    [
      "a price that is not an amount",
      { ...valid, node: { ...valid.node, prices: { ...valid.node.prices, cpu: "-1" } } },
      KEY,
      [],
      /node\.prices\.cpu/,
    ],
    ["an unknown key", { ...valid, extra: 1 }, KEY, [], /Unrecognized key/],
    ["a key file that is not a key", valid, "not a key", [], /--key-file .*: expected a 0x-prefixed 32-byte hex key/],
    [
      "an RPC URL that is not http",
      valid,
      KEY,
      ["--rpc-url", "ftp://x"],
      /--rpc-url \/ FOURFOLD_RPC_URL: ftp:\/\/x is not an http\(s\) URL/,
    ],
    ["an unknown flag", valid, KEY, ["--verbose"], /Unknown option '--verbose'/],
    ["a log level pino does not know", valid, KEY, ["--log-level", "loud"], /loud is not a pino level/],
  ] as const) {
    it(`refuses ${what} with a message naming it`, async () => {
      await withFiles(config ?? valid, key, async (dir) => {
        const argv = config === undefined ? ["--key-file", path.join(dir, "node.key")] : flags(dir, ...extra);
        await assert.rejects(
          loadNodeConfig(argv, {}),
          (e: unknown) => e instanceof ConfigError && message.test(e.message),
        );
      });
    });
  }
});

describe("loadKeysConfig", () => {
  const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n";
  async function withKey(run: (dir: string, keyFile: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-keys-config-"));
    try {
      await writeFile(path.join(dir, "operator.key"), KEY);
      await run(dir, path.join(dir, "operator.key"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("parses flags and environment into a frozen config with defaults", async () => {
    await withKey(async (dir, keyFile) => {
      const config = await loadKeysConfig(["--key-file", keyFile, "--state-dir", path.join(dir, "s")], {
        FOURFOLD_DATASET_KEYS: path.join(dir, "keys"),
      });
      assert.equal(config.account.address, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
      assert.equal(config.keyStoreDir, path.join(dir, "keys"));
      assert.equal(config.stateDir, path.join(dir, "s"));
      assert.equal(config.rpcUrl, "http://127.0.0.1:8545");
      assert.equal(config.pollIntervalMs, 2_000);
      assert.equal(config.retryIntervalMs, 60_000);
      assert.equal(config.confirmations, undefined);
      assert.ok(Object.isFrozen(config));
      const flagged = await loadKeysConfig(
        [
          "--key-file",
          keyFile,
          "--key-store",
          path.join(dir, "k2"),
          "--confirmations",
          "0",
          "--poll-interval-ms",
          "50",
        ],
        { FOURFOLD_DATASET_KEYS: path.join(dir, "keys") },
      );
      assert.equal(flagged.keyStoreDir, path.join(dir, "k2"), "the flag wins over the environment");
      assert.equal(flagged.confirmations, 0);
      assert.equal(flagged.pollIntervalMs, 50);
    });
  });

  for (const [what, argv, message] of [
    ["a missing --key-file", [], /--key-file is required/],
    [
      "a poll interval below 50 ms",
      ["--poll-interval-ms", "10"],
      /--poll-interval-ms 10: expected a whole number from 50/,
    ],
    ["a fractional retry interval", ["--retry-interval-seconds", "1.5"], /--retry-interval-seconds 1.5/],
    ["confirmations that are not a number", ["--confirmations", "three"], /--confirmations three/],
    [
      "a key store that is a file",
      ["--key-store", "{key}"],
      /--key-store \/ FOURFOLD_DATASET_KEYS .* is not a directory/,
    ],
    ["a node-role flag", ["--config", "x"], /Unknown option '--config'/],
  ] as const) {
    it(`refuses ${what} with a message naming it`, async () => {
      await withKey(async (_dir, keyFile) => {
        const args = argv.map((arg) => (arg === "{key}" ? keyFile : arg));
        const full = what === "a missing --key-file" ? args : ["--key-file", keyFile, ...args];
        await assert.rejects(
          loadKeysConfig(full, {}),
          (e: unknown) => e instanceof ConfigError && message.test(e.message),
        );
      });
    });
  }
});

describe("DatasetKeyStore", () => {
  const HASH = `0x${"ab".repeat(32)}`;

  it("creates one key per content, private to its owner, and returns it ever after, even to racing callers", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-key-store-"));
    try {
      const store = new DatasetKeyStore(path.join(dir, "keys"));
      assert.equal(await store.get(HASH), undefined);
      const racing = await Promise.all([
        store.keyFor(HASH),
        store.keyFor(HASH),
        store.keyFor(HASH.toUpperCase().replace("0X", "0x")),
      ]);
      assert.equal(racing[0].length, 32);
      for (const key of racing) assert.deepEqual(key, racing[0]);
      assert.deepEqual(await new DatasetKeyStore(path.join(dir, "keys")).get(HASH), racing[0]);
      assert.deepEqual(await readdir(path.join(dir, "keys")), [`${HASH}.key`], "no temporary files left");
      assert.equal((await stat(path.join(dir, "keys", `${HASH}.key`))).mode & 0o777, 0o600);
      assert.notDeepEqual(await store.keyFor(`0x${"cd".repeat(32)}`), racing[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a name that is not a content hash, and a key file that is not a key", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-key-store-"));
    try {
      const store = new DatasetKeyStore(dir);
      await assert.rejects(store.keyFor("../escape"), /not a content hash/);
      await assert.rejects(store.get(`0x${"ab".repeat(31)}`), /not a content hash/);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, `${HASH}.key`), "0x1234\n");
      await assert.rejects(store.keyFor(HASH), /expected a 0x-prefixed 32-byte hex key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("truncateUtf8", () => {
  it("keeps short text, and cuts long text on a character boundary within the byte limit", () => {
    assert.equal(truncateUtf8("abc", 3), "abc");
    assert.equal(truncateUtf8("abcd", 3), "abc");
    assert.equal(truncateUtf8("aé", 2), "a", "é is two bytes and does not fit");
    assert.equal(new TextEncoder().encode(truncateUtf8("€".repeat(100), 256)).length, 255);
  });
});

describe("describeRewardStanding", () => {
  const standing = { units: 17_288n, earningUnits: 8_192n, certifiedUntil: 0n, excluded: false };
  it("says what a node earns on: the baseline, all it declares while certified, or nothing once excluded", () => {
    assert.equal(
      describeRewardStanding(standing),
      "Uncertified: earns on 8 of 16.9 declared capacity units (the baseline)",
    );
    assert.equal(
      describeRewardStanding({ ...standing, units: 6_144n, earningUnits: 6_144n }),
      "Uncertified: earns on its 6 capacity units",
    );
    assert.equal(
      describeRewardStanding({ ...standing, earningUnits: 17_288n, certifiedUntil: NO_EXPIRY }),
      "Certified with no expiry: earns on all 16.9 capacity units, ×1.25",
    );
    assert.equal(
      describeRewardStanding({ ...standing, earningUnits: 17_288n, certifiedUntil: 1_796_594_400n }),
      "Certified until 2026-12-06 22:00 UTC: earns on all 16.9 capacity units, ×1.25",
    );
    assert.equal(describeRewardStanding({ ...standing, excluded: true }), "Excluded from farming rewards");
  });
});
