// Child processes for the local stack (scripts/start.ts): each writes to its own log file, is stopped by its PID
// (SIGTERM, then SIGKILL after a grace period), and is watched so that an unexpected exit is reported at once.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Service {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends, whoever ended it. */
  readonly exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
}

export async function startService(options: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Run it in a process group of its own and stop the whole group: for programs that start children of their own
   * (`next start`), which a signal to the parent alone could leave behind. */
  group?: boolean;
}): Promise<Service> {
  await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  const pid = child.pid;
  const signal = (name: NodeJS.Signals) => {
    if (options.group === true && pid !== undefined) {
      try {
        process.kill(-pid, name);
      } catch {
        // The group is gone already.
      }
    } else child.kill(name);
  };
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      log.end();
      resolve(code ?? signal ?? "unknown");
    });
  });
  exited.catch(() => {}); // `error` (say, the command is missing) also surfaces through `exited` to whoever awaits it
  return {
    name: options.name,
    logFile: options.logFile,
    child,
    exited,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        if (options.group === true) signal("SIGKILL"); // what the parent left behind
        return;
      }
      signal("SIGTERM");
      const ended = await Promise.race([exited.then(() => true).catch(() => true), sleep(graceMs, false)]);
      if (!ended) {
        signal("SIGKILL");
        await exited.catch(() => {});
      }
      if (options.group === true) signal("SIGKILL");
    },
  };
}

/** The last `lines` lines of a log file, for an error message. */
export async function tail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Resolves when nothing listens on host:port (by binding it briefly), and rejects with EADDRINUSE otherwise. */
export function assertPortFree(port: number, host = "127.0.0.1"): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` with `what` in the error. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; abort?: Promise<unknown> },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let aborted: unknown;
  options.abort?.then(
    (value) => {
      aborted = value ?? "ended";
    },
    (error) => {
      aborted = error;
    },
  );
  for (;;) {
    if (aborted !== undefined) throw new Error(`${what}: the process ended (${String(aborted)}) before it was ready`);
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${options.timeoutMs / 1000} s`);
    await sleep(options.intervalMs ?? 200);
  }
}

/** The chain id an Ethereum JSON-RPC endpoint answers with, or undefined if it does not answer. */
export async function rpcChainId(url: string): Promise<number | undefined> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(2_000),
  });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { result?: string };
  return body.result === undefined ? undefined : Number.parseInt(body.result, 16);
}
