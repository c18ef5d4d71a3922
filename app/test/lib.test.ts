// The app's pure pieces: how amounts, sizes and ages read, how the Explore form becomes GET /nodes's query, and how
// the lease form is checked and priced.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { dataMarketAbi, leaseMarketAbi } from "@fourfold/contracts";
import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  keccak256,
  parseEther,
  sha256,
  toBytes,
  toHex,
} from "viem";
import { accessForm, allowedPurposes, datasetForm, NEW_DATASET, purposeBits, termsOf } from "../lib/data.ts";
import { explain } from "../lib/errors.ts";
import { NEW_NODE, nodeForm } from "../lib/farm.ts";
import { ago, disk, duration, fold, memory } from "../lib/format.ts";
import { check } from "../lib/forms.ts";
import { forwardToIndexer } from "../lib/indexer-proxy.ts";
import { jobForm, jobInput, NEW_JOB, placeInput, readOutput } from "../lib/jobs.ts";
import {
  costOf,
  leaseTerms,
  leaseWorkload,
  manifestOf,
  NEW_LEASE,
  perHour,
  resourcesOf,
  secondsFor,
  topUpAmount,
} from "../lib/lease.ts";
import { NO_FILTERS, nodesQuery } from "../lib/nodes.ts";
import { receiptSubject } from "../lib/receipts.ts";

describe("format", () => {
  it("reads 18-decimal amounts with grouped thousands, trailing zeros dropped, and dust as dust", () => {
    assert.equal(fold(parseEther("10000")), "10,000");
    assert.equal(fold(String(parseEther("1234567.5"))), "1,234,567.5");
    assert.equal(fold(parseEther("0.25")), "0.25");
    assert.equal(fold(0n), "0");
    assert.equal(fold(parseEther("1.00001")), "1");
    assert.equal(fold(parseEther("0.00001")), "< 0.0001");
    assert.equal(fold(parseEther("0.123456789"), 6), "0.123456");
  });

  it("reads memory, disk and ages", () => {
    assert.equal(memory(16_384), "16 GiB");
    assert.equal(memory("1536"), "1.5 GiB");
    assert.equal(memory(2_097_152n), "2 TiB");
    assert.equal(memory(256), "256 MiB");
    assert.equal(memory(0), "0 MiB");
    assert.equal(disk(500), "500 GiB");
    assert.equal(disk("2048"), "2 TiB");
    assert.equal(ago(null, 1_000), "never");
    assert.equal(ago(990, 1_000), "10 s ago");
    assert.equal(ago(1_000 - 7_200, 1_000), "2 h ago");
    assert.equal(duration(45), "45 s");
    assert.equal(duration(60n), "1 min");
    assert.equal(duration("9000"), "2.5 h");
    assert.equal(duration(3 * 86_400 + 20_000), "3.2 d");
  });
});

describe("nodesQuery", () => {
  const page = { limit: 50, offset: 100 };

  it("turns the form into GET /nodes's parameters: memory in MiB, the price in wei, the country upper-case", () => {
    const { query, error } = nodesQuery(
      { ...NO_FILTERS, minCpu: "4", minMemoryGiB: "8", country: "nl", maxHourlyFold: "1.5", online: "true" },
      page,
    );
    assert.equal(error, undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(query)), {
      minCpu: "4",
      minMemoryMiB: "8192",
      country: "NL",
      maxHourlyPrice: String(parseEther("1.5")),
      online: "true",
      sort: "id",
      order: "asc",
      limit: "50",
      offset: "100",
    });
  });

  it("refuses bad fields before anything is sent, naming them", () => {
    const refused = (form: Partial<typeof NO_FILTERS>) => nodesQuery({ ...NO_FILTERS, ...form }, page);
    assert.deepEqual(refused({ minCpu: "-1" }), { error: "CPU cores: a whole number, or empty" });
    assert.deepEqual(refused({ minMemoryGiB: "1.5" }), { error: "Memory: a whole number, or empty" });
    assert.deepEqual(refused({ country: "NLD" }), { error: "Country: two letters, like NL, or empty" });
    assert.deepEqual(refused({ maxHourlyFold: "cheap", minCpu: "1" }), {
      error: "Max price: an amount of FOLD, like 0.5, or empty",
    });
    assert.deepEqual(refused({ maxHourlyFold: "1" }), {
      error: "Max price: say which resources to price (CPU, memory, SSD or GPUs)",
    });
  });
});

describe("the lease form", () => {
  const terms = (form: Partial<typeof NEW_LEASE>) => check(leaseTerms, { ...NEW_LEASE, ...form });
  const workload = (form: Partial<typeof NEW_LEASE>) => check(leaseWorkload, { ...NEW_LEASE, ...form });

  it("reads resources as openLease takes them: memory in whole MiB", () => {
    const checked = terms({ cpu: "2", memoryGiB: "0.25", ssdGiB: "10", hours: "1.5" });
    assert.ok(checked.ok);
    assert.deepEqual(resourcesOf(checked.value), { cpu: 2, memoryMiB: 256, ssdGiB: 10, hddGiB: 0, gpus: 0 });
    assert.equal(checked.value.hours, 1.5);
  });

  it("refuses bad resources and hours, naming the field", () => {
    assert.deepEqual(terms({ memoryGiB: "0.3" }), {
      ok: false,
      error: "Memory: a whole number of MiB, like 0.25, 0.5 or 2 GiB",
    });
    assert.deepEqual(terms({ memoryGiB: "a lot" }), { ok: false, error: "Memory: GiB, like 0.5 or 2" });
    assert.deepEqual(terms({ cpu: "-1" }), { ok: false, error: "CPU cores: a whole number" });
    assert.deepEqual(terms({ gpus: "70000" }), { ok: false, error: "GPUs: at most 65,535" });
    assert.deepEqual(terms({ hours: "0" }), { ok: false, error: "Prepaid hours: more than zero" });
    assert.deepEqual(terms({ cpu: "0", memoryGiB: "0" }), {
      ok: false,
      error: "Resources: ask for some capacity, like 1 CPU core and 1 GiB of memory",
    });
  });

  it("reads the workload's parameters: numbers as numbers, quoted or other values as strings", () => {
    assert.deepEqual(workload({ template: "http-echo", params: 'message=hello there\nport = 8080\n\nid="42"' }), {
      ok: true,
      value: { template: "http-echo", params: { message: "hello there", port: 8080, id: "42" } },
    });
    assert.deepEqual(workload({ template: "" }), {
      ok: false,
      error: "Workload: the name of one of the farm's templates, like http-echo",
    });
    assert.deepEqual(workload({ template: "x", params: "a=1\nnonsense" }), {
      ok: false,
      error: "Parameters, line 2: write name=value, like message=hello",
    });
    assert.deepEqual(workload({ template: "x", params: "a=1\na=2" }), {
      ok: false,
      error: "Parameters: a is given twice",
    });
  });

  it("hashes the manifest the node will read, and prices hours as the market does", () => {
    const manifest = manifestOf("http-echo", { message: "hi" });
    assert.equal(new TextDecoder().decode(manifest.bytes), '{"template":"http-echo","params":{"message":"hi"}}');
    assert.equal(manifest.hash, keccak256(toBytes('{"template":"http-echo","params":{"message":"hi"}}')));
    // 0.525 FOLD an hour, scaled by 1,024.
    const scaled = parseEther("0.525") * 1_024n;
    assert.equal(perHour(scaled), parseEther("0.525"));
    assert.equal(costOf(scaled, 2), parseEther("1.05"));
    assert.equal(costOf(scaled, 0.5), parseEther("0.2625"));
    assert.equal(costOf(1n, 1), 1n, "a cost rounds up to a whole base unit");
    assert.equal(secondsFor(parseEther("1.05"), scaled), 7_200);
    assert.equal(secondsFor(1n, 0n), Number.POSITIVE_INFINITY);
  });
});

describe("the job form", () => {
  it("checks the terms, naming the field", () => {
    const terms = (form: Partial<typeof NEW_JOB>) =>
      check(jobForm, { ...NEW_JOB, modelId: "1", maxFeePerWorker: "2", ...form });
    assert.deepEqual(terms({}), {
      ok: true,
      value: { modelId: "1", redundancy: 1, maxFeePerWorker: parseEther("2"), hours: 2 },
    });
    assert.deepEqual(terms({ redundancy: "0" }), { ok: false, error: "Workers: at least 1" });
    assert.deepEqual(terms({ redundancy: "6" }), { ok: false, error: "Workers: at most 5" });
    assert.deepEqual(terms({ maxFeePerWorker: "0" }), { ok: false, error: "Most per worker: more than zero" });
    assert.deepEqual(terms({ maxFeePerWorker: "two" }), {
      ok: false,
      error: "Most per worker: an amount of FOLD, like 2",
    });
    assert.deepEqual(terms({ hours: "721" }), { ok: false, error: "Deadline: at most 720" });
    assert.deepEqual(terms({ modelId: "" }), { ok: false, error: "Model: choose one" });
  });

  it("takes a file or text as the input, exactly one, and puts it inline only when it fits on-chain", () => {
    assert.deepEqual(jobInput(undefined, "  "), { ok: false, error: "Input: choose an image file, or type text" });
    assert.deepEqual(jobInput(new Uint8Array([1]), "text"), {
      ok: false,
      error: "Input: give a file or text, not both",
    });
    assert.deepEqual(jobInput(new Uint8Array(), ""), { ok: false, error: "Input: the file is empty" });
    assert.deepEqual(jobInput(undefined, "Bonjour"), { ok: true, bytes: new TextEncoder().encode("Bonjour") });
    const small = placeInput(new Uint8Array(4_096).fill(7));
    assert.equal(small.inline, true);
    assert.equal(small.input.length, 2 + 2 * 4_096);
    assert.equal(small.hash, sha256(new Uint8Array(4_096).fill(7)));
    const large = placeInput(new Uint8Array(4_097));
    assert.deepEqual({ inline: large.inline, input: large.input }, { inline: false, input: "0x" });
  });

  it("reads an output's JSON fields, or its text when it is not a JSON object", () => {
    assert.deepEqual(readOutput(toHex('{"text":"INVOICE 4711"}')), { text: "INVOICE 4711" });
    assert.equal(readOutput(toHex("plain words")), "plain words");
    assert.equal(readOutput(toHex("[1,2]")), "[1,2]");
  });
});

describe("the data forms", () => {
  it("maps purposes to DataMarket's bits and back", () => {
    assert.equal(purposeBits(["Inference"]), 4);
    assert.equal(purposeBits(["Training", "Analytics"]), 2 | 8);
    assert.deepEqual(allowedPurposes(2 | 4 | 8), ["Training", "Inference", "Analytics"]);
    assert.deepEqual(allowedPurposes(1), []);
  });

  it("checks a dataset's terms, naming the field, and turns days into seconds and the licence into its hash", () => {
    const terms = (form: Partial<typeof NEW_DATASET>) =>
      check(datasetForm, { ...NEW_DATASET, name: "Temperatures", licence: "ok", ...form });
    const checked = terms({ maxDays: "2" });
    assert.ok(checked.ok);
    assert.deepEqual(termsOf(checked.value), {
      pricePerDay: parseEther("1"),
      pricePerUse: parseEther("0.1"),
      maxDuration: 172_800,
      purposes: 4,
      autoApprove: false,
      licenceHash: keccak256(toBytes("ok")),
    });
    assert.deepEqual(terms({ name: " " }), {
      ok: false,
      error: "Name: what the market lists it as, like EU city temperatures",
    });
    assert.deepEqual(terms({ name: "é".repeat(33) }), { ok: false, error: "Name: at most 64 bytes" });
    assert.deepEqual(terms({ purposes: [] }), { ok: false, error: "Purposes: allow at least one" });
    assert.deepEqual(terms({ maxDays: "0" }), { ok: false, error: "Longest access (days): at least 1" });
    assert.deepEqual(terms({ licence: " " }), {
      ok: false,
      error: "Licence: say what a grantee may do with the data, or link to it",
    });
  });

  it("checks an access request against the dataset's terms", () => {
    const request = accessForm(30 * 86_400, ["Inference"]);
    assert.deepEqual(check(request, { purpose: "Inference", days: "1.5", uses: "3" }), {
      ok: true,
      value: { purpose: "Inference", days: 1.5, uses: 3 },
    });
    assert.deepEqual(check(request, { purpose: "Training", days: "1", uses: "0" }), {
      ok: false,
      error: "Purpose: not one this dataset allows",
    });
    assert.deepEqual(check(request, { purpose: "Inference", days: "31", uses: "0" }), {
      ok: false,
      error: "Days: at most 30 for this dataset",
    });
    assert.deepEqual(check(request, { purpose: "Inference", days: "0", uses: "0" }), {
      ok: false,
      error: "Days: more than zero",
    });
  });
});

describe("the /indexer proxy", () => {
  /** An HTTP server on 127.0.0.1 that `handle` answers (or does not); stopped by the returned function. */
  async function server(handle: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
    const listening = http.createServer(handle).listen(0, "127.0.0.1");
    await once(listening, "listening");
    const { port } = listening.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        listening.closeAllConnections();
        listening.close();
        await once(listening, "close");
      },
    };
  }
  const get = (query = "") => new Request(`http://app.test/indexer/nodes${query}`);

  it("forwards the request and the indexer's answer, status and body", async () => {
    const indexer = await server((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        response.writeHead(400, { "content-type": "application/json" });
        response.end(JSON.stringify({ method: request.method, url: request.url, body }));
      });
    });
    try {
      const answer = await forwardToIndexer(get("?minCpu=x"), indexer.url, ["nodes"]);
      assert.equal(answer.status, 400);
      assert.deepEqual(await answer.json(), { method: "GET", url: "/nodes?minCpu=x", body: "" });
      const posted = await forwardToIndexer(
        new Request("http://app.test/indexer/graphql", { method: "POST", body: '{"query":"{ a }"}' }),
        indexer.url,
        ["graphql"],
      );
      assert.deepEqual(await posted.json(), { method: "POST", url: "/graphql", body: '{"query":"{ a }"}' });
    } finally {
      await indexer.close();
    }
  });

  it("answers 504 in words when the indexer hangs, and 502 when nothing listens", async () => {
    const hung = await server(() => {}); // accepts, never answers
    try {
      const started = performance.now();
      const answer = await forwardToIndexer(get(), hung.url, ["nodes"], 300);
      assert.ok(performance.now() - started < 3_000, "it gave up after its timeout");
      assert.equal(answer.status, 504);
      assert.deepEqual(await answer.json(), { error: `the indexer at ${hung.url} did not answer within 0.3 s` });
    } finally {
      await hung.close();
    }
    const gone = await server(() => {});
    await gone.close(); // its port is free now
    const answer = await forwardToIndexer(get(), gone.url, ["nodes"], 300);
    assert.equal(answer.status, 502);
    assert.match(
      ((await answer.json()) as { error: string }).error,
      /^the indexer at .* is unreachable \(.*ECONNREFUSED/,
    );
  });
});

describe("explain", () => {
  /** The error viem throws when `functionName` of `abi` reverts with `data`. */
  const refused = (abi: readonly unknown[], functionName: string, data: `0x${string}`) =>
    new ContractFunctionExecutionError(new ContractFunctionRevertedError({ abi: abi as never, data, functionName }), {
      abi: abi as never,
      functionName,
      contractAddress: "0x0000000000000000000000000000000000000001",
      args: [],
    });

  it("tells an error raised beneath the contract called, in words with its arguments", () => {
    // LeaseMarket's openLease refused by NodeRegistry: not in LeaseMarket's ABI, once shown as its bare selector.
    const offline = encodeErrorResult({
      abi: [
        {
          type: "error",
          name: "NodeOffline",
          inputs: [
            { type: "uint256", name: "nodeId" },
            { type: "uint256", name: "lastHeartbeat" },
          ],
        },
      ],
      errorName: "NodeOffline",
      args: [5n, 1_700_000_000n],
    });
    assert.equal(offline.slice(0, 10), "0x11fc26d9");
    assert.equal(
      explain(refused(leaseMarketAbi, "openLease", offline)),
      "Node 5 is offline: it has not sent a heartbeat recently. (NodeOffline(nodeId: 5, lastHeartbeat: 1700000000))",
    );
    const short = encodeErrorResult({
      abi: [{ type: "error", name: "NodeInsufficientCapacity", inputs: [{ type: "uint256", name: "nodeId" }] }],
      errorName: "NodeInsufficientCapacity",
      args: [5n],
    });
    assert.equal(short.slice(0, 10), "0x04a39453");
    assert.match(
      explain(refused(leaseMarketAbi, "openLease", short)),
      /^Node 5 does not have that much free capacity\./,
    );
  });

  it("tells an error this page has no words for in its NatSpec, never as a bare name", () => {
    const data = encodeErrorResult({ abi: dataMarketAbi, errorName: "DataInvalidUses", args: [0n] });
    assert.equal(
      explain(refused(dataMarketAbi, "requestAccess", data)),
      "The contract refused: A request must ask for at least one use, and at most 2^32 - 1. (DataInvalidUses(maxUses: 0))",
    );
  });
});

describe("amounts of FOLD", () => {
  it("reads an amount, and says what is wrong with one that is not, or is more than there is", () => {
    assert.deepEqual(check(topUpAmount, " 5.25 "), { ok: true, value: parseEther("5.25") });
    assert.deepEqual(check(topUpAmount, "999999999"), { ok: true, value: parseEther("999999999") });
    for (const [input, error] of [
      ["99999999999", "Amount: at most 999,999,999 FOLD"],
      ["five", "Amount: an amount of FOLD, like 5"],
      ["1.0000000000000000001", "Amount: an amount of FOLD, like 5"],
      ["0", "Amount: more than zero"],
    ]) {
      assert.deepEqual(check(topUpAmount, input), { ok: false, error }, input);
    }
  });
});

describe("the node form", () => {
  const node = (changes: Record<string, string>) =>
    check(nodeForm, { ...NEW_NODE, cpu: "4", memoryGiB: "8", region: "eu-west", country: "nl", ...changes });

  it("takes an assigned ISO 3166-1 country code, upper-cased, and refuses two letters that name no country", () => {
    const ok = node({});
    assert.ok(ok.ok && ok.value.country === "NL", ok.ok ? ok.value.country : ok.error);
    for (const [country, error] of [
      ["XX", "Country: XX is not an ISO 3166-1 country code (like NL, SE, US)"],
      ["uk", "Country: UK is not an ISO 3166-1 country code (like NL, SE, US)"], // retired: GB
      ["N", "Country: two letters, like NL"],
    ]) {
      assert.deepEqual(node({ country: country as string }), { ok: false, error }, country);
    }
  });
});

describe("receipts", () => {
  it("name what was paid for and link to it: a lease, a job, a data grant", () => {
    const kind = (word: string) => toHex(word, { size: 32 });
    const ref = (id: bigint) => toHex(id, { size: 32 });
    assert.deepEqual(receiptSubject(kind("lease"), ref(1n)), { label: "lease #1", href: "/leases" });
    assert.deepEqual(receiptSubject(kind("job"), ref(42n)), { label: "job #42", href: "/jobs/42" });
    assert.deepEqual(receiptSubject(kind("data"), ref(3n)), { label: "data grant #3", href: "/data" });
    assert.deepEqual(receiptSubject(kind("other"), ref(9n)), { label: `other ${ref(9n)}` });
  });
});
