// How the CLI reads its arguments: each parser refuses a bad value with a message naming what it expects, before
// anything is sent.
import { InvalidArgumentError } from "commander";
import { parseUnits } from "viem";
import { isCountry } from "../country.ts";

/** A whole number from `min` to `max`. */
export const whole =
  (min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };

/** An id: a whole number from 1. */
export function id(value: string): bigint {
  if (!/^[1-9]\d{0,30}$/.test(value)) throw new InvalidArgumentError("expected an id, a whole number from 1");
  return BigInt(value);
}

/** An amount of FOLD (or ETH) with up to 18 decimals, as base units. */
export function amount(value: string): bigint {
  if (!/^\d{1,30}(\.\d{1,18})?$/.test(value)) throw new InvalidArgumentError("expected an amount such as 2 or 0.25");
  return parseUnits(value, 18);
}

/** An ISO 3166-1 alpha-2 country code, upper-cased; one that is not assigned (XX) is refused. */
export function country(value: string): string {
  const code = value.toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) throw new InvalidArgumentError("expected two letters, like NL");
  if (!isCountry(code)) throw new InvalidArgumentError(`${code} is not an ISO 3166-1 country code (like NL, SE, US)`);
  return code;
}

/** A dataset's name as DataMarket takes it: 1 to 64 bytes, not only spaces. */
export function datasetName(value: string): string {
  const name = value.trim();
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0 || bytes > 64) throw new InvalidArgumentError(`expected 1 to 64 bytes, like "EU city temperatures"`);
  return name;
}

/** An identity handle as IdentityRegistry takes it. */
export function handle(value: string): string {
  if (!/^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/.test(value)) {
    throw new InvalidArgumentError("expected 3 to 32 of a-z, 0-9 and '-', not starting or ending with '-'");
  }
  return value;
}

/** An http(s) URL. */
export function httpUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {}
  throw new InvalidArgumentError("expected an http(s) URL");
}
