// `npm run build:app`: `next build` in app/ (type checked), unless app/.next is already a build of the current
// sources (scripts/lib/app-build.ts). `--force` builds regardless.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { appBuildIsCurrent, nextBuild, stampAppBuild } from "./lib/app-build.ts";

const force = process.argv.includes("--force");
const unknown = process.argv.slice(2).filter((arg) => arg !== "--force");
if (unknown.length > 0) {
  console.error(`build:app: unknown argument ${unknown[0]} (the one flag is --force)`);
  process.exit(2);
}
if (!force && (await appBuildIsCurrent())) {
  console.log("build:app: app/.next is a build of the current sources; nothing to do (--force builds anyway)");
  process.exit(0);
}
const child = spawn(nextBuild.command, nextBuild.args, {
  cwd: nextBuild.cwd,
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  stdio: "inherit",
});
const [code] = (await once(child, "exit")) as [number | null];
if (code !== 0) process.exit(code ?? 1);
await stampAppBuild();
