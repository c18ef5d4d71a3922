// The app's pure pieces: how amounts, sizes and ages read, and how the Explore form becomes GET /nodes's query.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEther } from "viem";
import { ago, disk, duration, fold, memory } from "../lib/format.ts";
import { NO_FILTERS, nodesQuery } from "../lib/nodes.ts";

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
