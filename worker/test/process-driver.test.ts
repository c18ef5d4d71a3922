// The process driver with real child processes: restarts after a crash, the memory watchdog, stopping, and reaping
// the workloads an earlier run of the agent left behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { ProcessDriver } from "../src/node/process-driver.ts";
import { templatesSchema } from "../src/node/templates.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("ProcessDriver", () => {
  let dir: string;
  const messages: string[] = [];
  const log = pino(
    { level: "info" },
    new Writable({
      write(chunk, _encoding, done) {
        messages.push(JSON.parse(String(chunk)).msg);
        done();
      },
    }),
  );
  const templates = templatesSchema.parse({
    // Appends a line to {file} each time it starts, then crashes after 100 ms.
    crashy: {
      command: "node",
      args: [
        "-e",
        "require('fs').appendFileSync(process.argv[1], 'start\\n'); setTimeout(() => process.exit(3), 100)",
        "{file}",
      ],
      params: { file: { type: "string", maxLength: 4096 } },
      endpoint: "none",
    },
    // Grows its memory outside the heap until something stops it.
    hungry: {
      command: "node",
      args: ["-e", "const a = []; setInterval(() => a.push(Buffer.alloc(32 * 1024 * 1024, 1)), 20)"],
      endpoint: "none",
    },
    // Serves nothing, runs until stopped.
    idle: { command: "node", args: ["-e", "setInterval(() => {}, 1000)"], endpoint: "http://{host}:{port}/{leaseId}" },
  });
  let driver: ProcessDriver;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-driver-"));
    driver = new ProcessDriver({
      agentId: "test-agent",
      logDir: dir,
      host: "127.0.0.1",
      env: { PATH: "/usr/bin:/bin" },
      log,
    });
  });

  after(async () => {
    await driver.stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  it("restarts a workload that crashes, and stops restarting once stopped", async () => {
    const file = path.join(dir, "starts.txt");
    const template = templates.crashy;
    assert.ok(template);
    await driver.start({ leaseId: "1", template, params: { file }, cpu: 1, memoryMiB: 128 });
    await eventually("a restart", async () =>
      (await readFile(file, "utf8")).split("\n").length > 2 ? true : undefined,
    );
    assert.ok(messages.includes("workload exited; restarting it"));
    await driver.stop("1");
    const starts = (await readFile(file, "utf8")).length;
    await sleep(1_500);
    assert.equal((await readFile(file, "utf8")).length, starts, "no restart after stop");
    assert.equal(driver.isRunning("1"), false);
  });

  it("holds a workload to its lease's cores, and refuses a lease of none or a machine that cannot hold it", async () => {
    const template = templates.idle;
    assert.ok(template);
    if (os.availableParallelism() < 2) {
      console.log("# the pinning is not checked: this machine has one core, which every lease may use");
    } else {
      const started = await driver.start({ leaseId: "7", template, params: {}, cpu: 1, memoryMiB: 128 });
      try {
        // taskset pins itself, then becomes the workload (exec): the same process, on the first core alone.
        await eventually("the workload pinned to core 0", async () => {
          const status = await readFile(`/proc/${started.handle}/status`, "utf8");
          return /^Cpus_allowed_list:\s+0$/m.test(status) && /^Name:\s+node$/m.test(status) ? true : undefined;
        });
      } finally {
        await driver.stop("7");
      }
    }
    // Once, a lease of 0 cores (LeaseMarket accepted memory alone) ran on every core.
    await assert.rejects(
      driver.start({ leaseId: "8", template, params: {}, cpu: 0, memoryMiB: 128 }),
      /^Error: lease 8 holds 0 CPU cores: a workload needs at least one to run on$/,
    );
    assert.equal(driver.isRunning("8"), false);
    const noTaskset = new ProcessDriver({
      agentId: "test-agent",
      logDir: dir,
      host: "127.0.0.1",
      log,
      env: {},
      taskset: path.join(dir, "no-taskset"),
    });
    if (os.availableParallelism() >= 2) {
      await assert.rejects(
        noTaskset.start({ leaseId: "9", template, params: {}, cpu: 1, memoryMiB: 128 }),
        /cannot hold lease 9 to 1 of this machine's \d+ cores: .*no-taskset \(util-linux\) is missing/,
      );
    }
    assert.equal(noTaskset.isRunning("9"), false);
  });

  it("kills a workload above the lease's memory", async () => {
    const template = templates.hungry;
    assert.ok(template);
    await driver.start({ leaseId: "2", template, params: {}, cpu: 1, memoryMiB: 100 });
    await eventually("the watchdog", async () =>
      messages.includes("workload above its memory; killing it") ? true : undefined,
    );
    await driver.stop("2");
  });

  it("fills the endpoint, keeps a given port, and reaps only its own leftovers", async () => {
    const template = templates.idle;
    assert.ok(template);
    const started = await driver.start({ leaseId: "3", template, params: {}, cpu: 1, memoryMiB: 128, port: 45_678 });
    assert.equal(started.endpoint, "http://127.0.0.1:45678/3");
    assert.equal(driver.isRunning("3"), true);
    await assert.rejects(
      driver.start({ leaseId: "3", template, params: {}, cpu: 1, memoryMiB: 128 }),
      /already running/,
    );
    const pid = Number(started.handle);

    // A stranger process with another agent's marker survives a reap; ours does not.
    const stranger = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      env: { FOURFOLD_LEASE: "another-agent:3" },
      stdio: "ignore",
    });
    try {
      await sleep(200);
      const fresh = new ProcessDriver({ agentId: "test-agent", logDir: dir, host: "127.0.0.1", env: {}, log });
      await fresh.reap(["3"]);
      await eventually("our workload reaped", async () => (alive(pid) ? undefined : true));
      assert.equal(alive(stranger.pid ?? 0), true);
    } finally {
      stranger.kill("SIGKILL");
    }
    await driver.stop("3");
  });
});
