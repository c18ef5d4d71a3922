// What tests that run the real node agent share: the http-echo workload template a node config allows, and finding
// (to stop) the workload processes an agent started, by the FOURFOLD_LEASE marker in their environment.
import { readdir, readFile } from "node:fs/promises";
import { HTTP_ECHO_TEMPLATE } from "../../src/node/templates.ts";

/** A node config's `templates` entry for worker/templates/http-echo.ts: it answers {message, lease} over HTTP. */
export const HTTP_ECHO = HTTP_ECHO_TEMPLATE;

/** The workloads (processes) of the agent whose node key is `agent`, found by their environment. */
export async function workloadsOf(agent: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, "latin1").catch(() => "");
    if (environ.split("\0").some((entry) => entry.startsWith(`FOURFOLD_LEASE=${agent}:`))) found.push(Number(name));
  }
  return found;
}
