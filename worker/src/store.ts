// A small durable JSON document: every update is written to a temporary file, flushed to disk and renamed over the
// old one, so a crash at any moment leaves either the old state or the new one, never a torn file.
import { mkdir, open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";

export class JsonStore<T> {
  private readonly file: string;
  private readonly schema: z.ZodType<T>;
  private value: T;

  private constructor(file: string, schema: z.ZodType<T>, value: T) {
    this.file = file;
    this.schema = schema;
    this.value = value;
  }

  /** Opens `file`, or starts from `initial` when it does not exist. A file that does not parse is an error. */
  static async open<T>(file: string, schema: z.ZodType<T>, initial: T): Promise<JsonStore<T>> {
    await mkdir(path.dirname(file), { recursive: true });
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return new JsonStore(file, schema, structuredClone(initial));
    }
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${file} is not a valid state file: ${parsed.error.message}`);
    return new JsonStore(file, schema, parsed.data);
  }

  /** A copy of the current state. */
  get(): T {
    return structuredClone(this.value);
  }

  /** Applies `change` to a copy of the state and makes the result durable before returning it. */
  async update(change: (draft: T) => void): Promise<T> {
    const draft = structuredClone(this.value);
    change(draft);
    const next = this.schema.parse(draft);
    const temporary = `${this.file}.tmp`;
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(next, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
    this.value = next;
    return structuredClone(next);
  }
}
