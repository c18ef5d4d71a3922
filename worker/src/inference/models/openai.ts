// An OpenAI-compatible chat completions endpoint (vLLM, llama.cpp's server, Ollama, ...) as a model. Decoding is
// greedy (temperature 0, a fixed seed) so that redundant workers on the same weights can agree; the endpoint's
// operator declares the weights' hash, which must be the registered modelHash. The input is the prompt, as UTF-8
// text; the output is the completion's text.
import type { OutputValue } from "../output.ts";
import { InputError } from "../output.ts";
import type { InferenceModel, ModelSpec } from "./spec.ts";
import { textInput } from "./spec.ts";

const MAX_PROMPT_CHARS = 1_000_000;

/** The endpoint failed (it is down, or answered with an error): not the input's fault, so the job is retried. */
export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EndpointError";
  }
}

export class OpenAiModel implements InferenceModel {
  readonly backend = "openai";
  readonly modelHash: `0x${string}`;
  readonly runtime: Readonly<Record<string, string | number>>;
  private readonly spec: Extract<ModelSpec, { backend: "openai" }>;
  private readonly apiKey: string | undefined;

  constructor(spec: Extract<ModelSpec, { backend: "openai" }>, apiKey: string | undefined) {
    this.spec = spec;
    this.apiKey = apiKey;
    this.modelHash = spec.modelHash as `0x${string}`;
    this.runtime = {
      backend: "openai-compatible",
      endpoint: new URL(spec.url).origin,
      model: spec.model,
      temperature: 0,
      seed: spec.seed,
      maxTokens: spec.maxTokens,
    };
  }

  async run(input: Uint8Array): Promise<OutputValue> {
    const prompt = textInput(input, MAX_PROMPT_CHARS);
    const url = `${this.spec.url.replace(/\/+$/, "")}/chat/completions`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` }),
        },
        body: JSON.stringify({
          model: this.spec.model,
          messages: [{ role: "user", content: prompt }],
          temperature: 0,
          top_p: 1,
          n: 1,
          seed: this.spec.seed,
          max_tokens: this.spec.maxTokens,
          stream: false,
        }),
        signal: AbortSignal.timeout(this.spec.timeoutMs),
      });
    } catch (error) {
      throw new EndpointError(`${url}: ${(error as Error).message}`);
    }
    const body = await response.text();
    if (response.status === 400) throw new InputError("InputMalformed", `the endpoint refused the prompt: ${body}`);
    if (!response.ok) throw new EndpointError(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
    let content: unknown;
    try {
      content = JSON.parse(body).choices?.[0]?.message?.content;
    } catch {
      throw new EndpointError(`${url} answered with something other than JSON`);
    }
    if (typeof content !== "string") throw new EndpointError(`${url} answered without choices[0].message.content`);
    return { text: content };
  }

  async close(): Promise<void> {}
}
