// Fetching a job's input: inline bytes from the request, a `file:` URL inside a directory the operator allowed, or an
// `http(s):` URL on loopback or a host the operator allowed; never more than the size limit, and never used unless its
// sha256 is the request's inputHash. Every refusal is an InputError carrying the reason the job is rejected with.
import { open, realpath } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Hex, hexToBytes } from "viem";
import { InputError, sha256Hex } from "./output.ts";

export interface InputPolicy {
  /** Directories whose files `file:` URLs may name (resolved, symlinks followed). */
  readonly inputDirs: readonly string[];
  /** Host names (or host:port) `http(s):` URLs may name besides loopback. */
  readonly allowedHosts: readonly string[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** The input cannot be fetched now for a reason that may pass (the host is down): try again later. */
export class InputUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputUnreachable";
  }
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The job's input bytes, checked against `inputHash`. */
export async function fetchInput(
  job: { readonly input: Hex | null; readonly inputURI: string; readonly inputHash: Hex },
  policy: InputPolicy,
): Promise<Uint8Array> {
  const bytes = job.input !== null && job.input !== "0x" ? hexToBytes(job.input) : await fetchUri(job.inputURI, policy);
  if (bytes.length > policy.maxBytes)
    throw new InputError("InputTooLarge", `the input exceeds ${policy.maxBytes} bytes`);
  const actual = sha256Hex(bytes);
  if (actual.toLowerCase() !== job.inputHash.toLowerCase()) {
    throw new InputError("InputHashMismatch", `the input's sha256 is ${actual}, not the requested ${job.inputHash}`);
  }
  return bytes;
}

async function fetchUri(uri: string, policy: InputPolicy): Promise<Uint8Array> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InputError("InputUnavailable", `the input URI ${JSON.stringify(uri)} is not a URL`);
  }
  if (url.protocol === "file:") return readAllowedFile(url, policy);
  if (url.protocol === "http:" || url.protocol === "https:") return download(url, policy);
  throw new InputError("InputUnavailable", `input URIs may be file: or http(s): URLs, not ${url.protocol}`);
}

async function readAllowedFile(url: URL, policy: InputPolicy): Promise<Uint8Array> {
  let file: string;
  try {
    file = await realpath(fileURLToPath(url));
  } catch (error) {
    throw new InputError("InputUnavailable", `${url.href}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const allowed = await Promise.all(policy.inputDirs.map((dir) => realpath(dir).catch(() => undefined)));
  if (!allowed.some((dir) => dir !== undefined && file.startsWith(dir + path.sep))) {
    throw new InputError("InputUnavailable", `${url.href} is outside this worker's input directories`);
  }
  const handle = await open(file, "r").catch((error: NodeJS.ErrnoException) => {
    throw new InputError("InputUnavailable", `${url.href}: ${error.code ?? error.message}`);
  });
  try {
    const { size } = await handle.stat();
    if (size > policy.maxBytes) throw new InputError("InputTooLarge", `${url.href} exceeds ${policy.maxBytes} bytes`);
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

async function download(url: URL, policy: InputPolicy): Promise<Uint8Array> {
  if (
    !LOOPBACK.has(url.hostname) &&
    !policy.allowedHosts.includes(url.hostname) &&
    !policy.allowedHosts.includes(url.host)
  ) {
    throw new InputError("InputUnavailable", `${url.host} is not a host this worker fetches inputs from`);
  }
  let response: Response;
  try {
    response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(policy.timeoutMs) });
  } catch (error) {
    throw new InputUnreachable(`${url.href}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    throw new InputUnreachable(`${url.href} answered ${response.status}`);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new InputError("InputUnavailable", `${url.href} answered ${response.status}`);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > policy.maxBytes) {
    await response.body.cancel();
    throw new InputError("InputTooLarge", `${url.href} is ${declared} bytes, over the limit of ${policy.maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const chunk of response.body) {
      length += chunk.length;
      if (length > policy.maxBytes) {
        await response.body.cancel().catch(() => {});
        throw new InputError("InputTooLarge", `${url.href} exceeds ${policy.maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputUnreachable(`${url.href}: ${(error as Error).message}`);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
