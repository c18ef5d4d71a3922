// How amounts, sizes and times read in the app. FOLD has 18 decimals; the indexer sends amounts as decimal strings.
import { formatUnits } from "viem";

/** An 18-decimal amount (FOLD or ETH, in wei, as a decimal string or bigint) with at most `digits` decimals, trailing
 * zeros dropped and the whole part grouped by thousands, e.g. "10,000" or "0.25"; dust below the last digit shown
 * reads "< 0.0001". */
export function fold(wei: string | bigint, digits = 4): string {
  const [whole = "0", fraction = ""] = formatUnits(BigInt(wei), 18).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const shown = fraction.slice(0, digits).replace(/0+$/, "");
  if (shown === "" && whole === "0" && fraction.replace(/0+$/, "") !== "") {
    return `< ${digits === 0 ? "1" : `0.${"0".repeat(digits - 1)}1`}`;
  }
  return shown === "" ? grouped : `${grouped}.${shown}`;
}

/** MiB as GiB (or TiB, or MiB below a GiB), e.g. "16 GiB" or "256 MiB". */
export function memory(mib: string | number | bigint): string {
  if (Number(mib) < 1024) return `${Number(mib)} MiB`;
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

/** A span of seconds, e.g. "45 s", "12 min", "2.5 h" or "3.2 d". */
export function duration(seconds: string | number | bigint): string {
  const s = Number(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${round(Math.floor(s / 360) / 10)} h`;
  return `${round(Math.floor(s / 8_640) / 10)} d`;
}

const round = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
