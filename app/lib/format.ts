// How amounts, sizes and times read in the app. FOLD has 18 decimals; the indexer sends amounts as decimal strings.
import { formatUnits } from "viem";

/** `wei` (a decimal string or bigint) as FOLD with at most `digits` decimals, trailing zeros dropped. */
export function fold(wei: string | bigint, digits = 4): string {
  const [whole, fraction = ""] = formatUnits(BigInt(wei), 18).split(".");
  const shown = fraction.slice(0, digits).replace(/0+$/, "");
  if (shown === "" && fraction.replace(/0+$/, "") !== "")
    return `< ${digits === 0 ? "1" : `0.${"0".repeat(digits - 1)}1`}`;
  return shown === "" ? (whole ?? "0") : `${whole}.${shown}`;
}

/** MiB as GiB (or TiB), e.g. "16 GiB". */
export function memory(mib: string | number | bigint): string {
  const gib = Number(mib) / 1024;
  return gib >= 1024 ? `${round(gib / 1024)} TiB` : `${round(gib)} GiB`;
}

/** GiB of disk, e.g. "500 GiB" or "2 TiB". */
export function disk(gib: string | number | bigint): string {
  const n = Number(gib);
  return n >= 1024 ? `${round(n / 1024)} TiB` : `${n} GiB`;
}

/** How long ago `seconds` (since the epoch) was, from `now` (seconds), e.g. "3 min ago". */
export function ago(seconds: string | number | null, now: number): string {
  if (seconds === null) return "never";
  const d = Math.max(0, now - Number(seconds));
  if (d < 60) return `${Math.floor(d)} s ago`;
  if (d < 3_600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86_400) return `${Math.floor(d / 3_600)} h ago`;
  return `${Math.floor(d / 86_400)} d ago`;
}

const round = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
