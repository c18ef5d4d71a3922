// Child processes for the local stack (scripts/start.ts): each writes to its own log file, is stopped by its PID
// (SIGTERM, then SIGKILL after a grace period), and is watched so that an unexpected exit is reported at once.
// `supervise` keeps one running: restarted with capped exponential backoff whenever it exits without being asked to.
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

export interface ServiceOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Run it in a process group of its own and stop the whole group: for programs that start children of their own
   * (`next start`), which a signal to the parent alone could leave behind. */
  group?: boolean;
  /** Add to the log file instead of replacing it (a restart). */
  append?: boolean;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: options.append === true ? "a" : "w" });
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

export interface RestartPolicy {
  /** The wait before the first restart; each restart in a row doubles it, up to `maxMs`. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** A process that ran this long before it exited is restarted after `baseMs` again. */
  readonly resetAfterMs: number;
}

export const RESTART: RestartPolicy = { baseMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

export interface Supervised extends Service {
  /** Resolves with the first process's exit when it was not asked to stop: what a wait for readiness gives up on. */
  readonly crashed: Promise<number | string>;
  /** How many times it has been restarted. */
  readonly restarts: number;
}

/**
 * Starts a service and keeps it running: whenever its process exits without `stop()`, `onExit` is told and a new one
 * starts (its output added to the same log) after min(maxMs, baseMs x 2^n), n counting the exits in a row of processes
 * that ran less than `resetAfterMs`. `exited` resolves only once `stop()` has stopped it for good; `child` is the
 * process running now.
 */
export async function supervise(
  options: ServiceOptions,
  onExit: (code: number | string, restartInMs: number, restarts: number) => void,
  policy: RestartPolicy = RESTART,
): Promise<Supervised> {
  let current = await startService(options);
  let stopped = false;
  let restarts = 0;
  let inARow = 0;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let done: (code: number | string) => void = () => {};
  const exited = new Promise<number | string>((resolve) => {
    done = resolve;
  });
  let crash: (code: number | string) => void = () => {};
  const crashed = new Promise<number | string>((resolve) => {
    crash = resolve;
  });
  const watch = async () => {
    for (;;) {
      const startedAt = Date.now();
      const code = await current.exited.catch((error: Error) => error.message);
      if (stopped) return done(code);
      crash(code);
      if (Date.now() - startedAt >= policy.resetAfterMs) inARow = 0;
      const delayMs = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(inARow, 30));
      inARow += 1;
      restarts += 1;
      onExit(code, delayMs, restarts);
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, delayMs);
      });
      if (stopped) return done(code);
      const next = await startService({ ...options, append: true }).catch((error: Error) => error);
      if (next instanceof Error) {
        // It could not even be spawned: counts as an exit, and is retried after the next wait.
        current = { ...current, exited: Promise.resolve(next.message) };
        continue;
      }
      current = next;
      if (stopped) await next.stop(); // stop() was called while it was starting
    }
  };
  void watch();
  return {
    name: options.name,
    logFile: options.logFile,
    get child() {
      return current.child;
    },
    exited,
    crashed,
    get restarts() {
      return restarts;
    },
    async stop(graceMs?: number) {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await current.stop(graceMs);
      await exited;
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
