// Query-string parsing for the REST routes: zod schemas, and a 400 that names the parameter for anything else.
import type { Context } from "hono";
import { z } from "zod";

/** A non-negative integer given in decimal, as a bigint (FOLD wei, resources). */
export const uint = z
  .string()
  .regex(/^\d{1,78}$/, "must be a non-negative whole number")
  .transform((value) => BigInt(value));

/** A `uint` of at most `bits` bits (as the contract stores it): anything larger can match nothing, and is refused. */
export const uintOf = (bits: number) => {
  const max = (1n << BigInt(bits)) - 1n;
  return uint.refine((value) => value <= max, `must be at most ${max} (a uint${bits} on-chain)`);
};

/** A positive id given in decimal. */
export const id = z
  .string()
  .regex(/^[1-9]\d{0,77}$/, "must be a positive whole number")
  .transform((value) => BigInt(value));

export class BadRequest extends Error {}

/** Parses `input` with `schema`; a failure is a BadRequest whose message names the first bad parameter (`what`, for
 * a single value such as a path parameter). */
export function parse<T extends z.ZodType>(schema: T, input: unknown, what = "query"): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = issue?.path.join(".") || what;
  throw new BadRequest(issue?.code === "unrecognized_keys" ? issue.message : `${name}: ${issue?.message}`);
}

/** The request's query string as one value per name; a name given twice is an error. */
export function queryOf(c: Context): Record<string, string> {
  const all = c.req.queries();
  const one: [string, string][] = [];
  for (const [name, values] of Object.entries(all)) {
    if (values.length !== 1) throw new BadRequest(`${name}: given ${values.length} times; give it once`);
    one.push([name, values[0] as string]);
  }
  // fromEntries defines each name as an own property: `__proto__=x` is a parameter (refused), not the prototype.
  return Object.fromEntries(one);
}
