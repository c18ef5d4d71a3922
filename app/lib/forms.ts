// What every form shares: checking a form's values with zod before anything is sent, and the fields they have in
// common, each with its problem in words that name the field.
import { parseUnits } from "viem";
import { z } from "zod";

/** A whole number from 0 to `max`. */
export const whole = (what: string, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,10}$/, `${what}: a whole number`)
    .transform(Number)
    .refine((n) => n <= max, `${what}: at most ${max.toLocaleString("en")}`);

/** An amount of FOLD (18 decimals), like 0.01, in base units. */
export const foldAmount = (what: string, example = "0.01") =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d{1,18})?$/, `${what}: an amount of FOLD, like ${example}`)
    // FOLD's whole supply is 100,000,000: anything with more than nine whole digits is no amount anyone holds.
    .refine((v) => (v.split(".")[0] ?? "").replace(/^0+(?=\d)/, "").length <= 9, `${what}: at most 999,999,999 FOLD`)
    .transform((v) => parseUnits(v, 18));

/** The first problem with `value` under `schema`, or its parsed value. */
export function check<T extends z.ZodType>(
  schema: T,
  value: unknown,
): { ok: true; value: z.output<T> } | { ok: false; error: string } {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: parsed.error.issues[0]?.message ?? "not valid" };
}
