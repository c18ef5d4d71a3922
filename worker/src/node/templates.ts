// Workload templates: a farmer allows a set of them in the node config; a tenant's manifest names one and gives its
// parameters. A tenant never chooses the command: only values for the parameters the farmer declared, each checked
// against its declared type and range before anything runs.
import path from "node:path";
import { z } from "zod";

const NAME = /^[a-z][a-z0-9-]{0,63}$/;
const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9]*)\}/g;
/** Placeholders the agent fills itself; parameters may not use these names. */
export const BUILTIN_PLACEHOLDERS = ["port", "host", "cpu", "memoryMiB", "leaseId"] as const;

const paramSpec = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("string"),
    maxLength: z.int().min(1).max(4_096),
    pattern: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal("integer"),
    min: z.int(),
    max: z.int(),
  }),
]);

export const templateSchema = z
  .strictObject({
    /** The program; "node" means the Node.js running the agent. */
    command: z.string().min(1),
    /** Its arguments; `{name}` is replaced by a parameter or a built-in (port, host, cpu, memoryMiB, leaseId). */
    args: z.array(z.string()).default([]),
    params: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/), paramSpec).default({}),
    /** What the tenant is told, with the same placeholders, e.g. "http://{host}:{port}". */
    endpoint: z.string().min(1).max(256),
  })
  .superRefine((template, ctx) => {
    for (const name of Object.keys(template.params)) {
      if ((BUILTIN_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({ code: "custom", message: `parameter "${name}" clashes with a built-in placeholder` });
      }
    }
    for (const text of [...template.args, template.endpoint]) {
      for (const [, name] of text.matchAll(PLACEHOLDER)) {
        if (name === undefined) continue;
        if (!(BUILTIN_PLACEHOLDERS as readonly string[]).includes(name) && !(name in template.params)) {
          ctx.addIssue({ code: "custom", message: `placeholder {${name}} is neither a parameter nor a built-in` });
        }
      }
    }
    for (const [name, spec] of Object.entries(template.params)) {
      if (spec.type === "integer" && spec.min > spec.max) {
        ctx.addIssue({ code: "custom", message: `parameter "${name}": min is above max` });
      }
    }
  });

export type Template = z.infer<typeof templateSchema>;
export const templatesSchema = z.record(
  z.string().regex(NAME, "a template name is [a-z0-9-], 1-64 characters"),
  templateSchema,
);
export type Templates = z.infer<typeof templatesSchema>;

/** The example template (worker/templates/http-echo.ts; "node" is the agent's own Node, with the lease's heap limit):
 * an HTTP server that answers with the tenant's message and the lease's id. The demo grid's nodes offer it, and the
 * tests lease it. */
export const HTTP_ECHO_TEMPLATE = {
  command: "node",
  args: [
    path.resolve(import.meta.dirname, "../../templates/http-echo.ts"),
    "--port",
    "{port}",
    "--message",
    "{message}",
  ],
  params: { message: { type: "string", maxLength: 200 } },
  endpoint: "http://{host}:{port}",
} as const satisfies z.input<typeof templateSchema>;

/** What a tenant's manifest says: a template and values for its parameters. */
export const manifestSchema = z.strictObject({
  template: z.string().regex(NAME),
  params: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** A manifest the node refuses; `reason` goes on-chain with the rejection, so it is short and names the problem. */
export class ManifestError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
    this.name = "ManifestError";
  }
}

/** Parses a decrypted manifest and checks it against the allowed templates. Returns the template and values. */
export function checkManifest(plaintext: Uint8Array, templates: Templates): { manifest: Manifest; template: Template } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
  } catch {
    throw new ManifestError("manifest is not UTF-8 JSON");
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new ManifestError("manifest is not {template, params}");
  const manifest = parsed.data;
  const template = templates[manifest.template];
  if (template === undefined) throw new ManifestError(`unknown template ${manifest.template}`);
  for (const name of Object.keys(manifest.params)) {
    if (!(name in template.params)) throw new ManifestError(`unknown parameter ${name}`);
  }
  for (const [name, spec] of Object.entries(template.params)) {
    const value = manifest.params[name];
    if (value === undefined) throw new ManifestError(`missing parameter ${name}`);
    if (spec.type === "integer") {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
        throw new ManifestError(`parameter ${name} must be an integer in ${spec.min}..${spec.max}`);
      }
    } else {
      if (typeof value !== "string" || value.length > spec.maxLength) {
        throw new ManifestError(`parameter ${name} must be a string of at most ${spec.maxLength} characters`);
      }
      if (spec.pattern !== undefined && !new RegExp(`^(?:${spec.pattern})$`, "u").test(value)) {
        throw new ManifestError(`parameter ${name} does not match its pattern`);
      }
    }
  }
  return { manifest, template };
}

/** Replaces `{name}` in `text` with `values[name]`; every placeholder has a value once a manifest passed the check. */
export function fill(text: string, values: Readonly<Record<string, string | number>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${whole}`);
    return String(value);
  });
}
