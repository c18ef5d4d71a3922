// What one request may ask of the indexer, checked before Ponder runs it, so that no single request (a query nested
// 15 deep, a 10 MB body, SQL that is not SQL) can exhaust the process that every page and agent reads from:
// - a body of at most LIMITS.bodyBytes (413 beyond);
// - GraphQL: a JSON body with a `query` string (400 otherwise), at most LIMITS.depth fields deep, and at most
//   LIMITS.rows objects (the worst case: each page at its `limit`, nested pages multiplied); 400 beyond, naming the
//   limit. A query that cannot run at all (a syntax or validation error) is a 400 too: Ponder's middleware answers
//   200 to everything;
// - `/sql/db` (@ponder/client): a `sql` parameter in its encoding (superjson), else a 400; SQL it refuses is a 400;
// - every route answers within LIMITS.timeoutMs, or 503.
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { timeout } from "hono/timeout";

export const LIMITS = {
  /** The largest request body: the dApp's largest query is under 2 kB. */
  bodyBytes: 64 * 1024,
  /** Tokens in a GraphQL document (Ponder's own limit too; the dApp's largest query has under 200). */
  tokens: 1_000,
  /** Fields nested in one another (introspection's own fields, schema-bound and cheap, are not counted). */
  depth: 10,
  /** Objects one query may resolve at worst; a page is `limit` objects (Ponder's default 50, at most 1,000). The
   * dApp's largest query (the farm console: identities x farms x nodes) is 20,220 at worst. */
  rows: 25_000,
  /** How long a request may take before it is answered 503. */
  timeoutMs: 10_000,
} as const;

/** Ponder's page size when a query names none, and the most it allows. */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;

export class QueryRefused extends Error {}

export const limitBody: MiddlewareHandler = bodyLimit({
  maxSize: LIMITS.bodyBytes,
  onError: (c) => c.json({ error: `the request body is over ${LIMITS.bodyBytes / 1024} KiB` }, 413),
});

export const limitTime: MiddlewareHandler = timeout(
  LIMITS.timeoutMs,
  () =>
    new HTTPException(503, {
      res: Response.json(
        { error: `the request did not finish within ${LIMITS.timeoutMs / 1000} s: ask for less (smaller pages)` },
        { status: 503 },
      ),
    }),
);

interface Cost {
  depth: number;
  rows: number;
}

/**
 * The depth and worst-case objects of `document`'s operation `operationName` (or its only one). A field whose
 * selection holds `items` is a page of `limit` objects (a variable's value, or the most when the variable is not
 * given); any other field with a selection is one object per parent.
 */
export function queryCost(
  document: DocumentNode,
  variables: Record<string, unknown> = {},
  operationName?: string,
): Cost {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    operationName === undefined ? operations[0] : operations.find((o) => o.name?.value === operationName);
  if (operation === undefined) {
    throw new QueryRefused(
      operationName === undefined ? "the document holds no operation" : `no operation named ${operationName}`,
    );
  }
  if (operationName === undefined && operations.length > 1) {
    throw new QueryRefused("the document holds several operations: name one (operationName)");
  }
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );

  const limitOf = (value: ValueNode | undefined): number => {
    if (value === undefined) return DEFAULT_PAGE;
    if (value.kind === Kind.INT) return Math.min(Number(value.value), MAX_PAGE);
    if (value.kind === Kind.VARIABLE) {
      const given = variables[value.name.value];
      return typeof given === "number" && Number.isFinite(given) ? Math.min(given, MAX_PAGE) : MAX_PAGE;
    }
    return MAX_PAGE;
  };

  // Walks a selection set reached by `parents` objects; `spreading` guards against fragments that spread themselves.
  const walk = (set: SelectionSetNode, parents: number, spreading: readonly string[]): Cost => {
    let depth = 0;
    let rows = 0;
    const add = (cost: Cost) => {
      depth = Math.max(depth, cost.depth);
      rows += cost.rows;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(walk(selection.selectionSet, parents, spreading));
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined) throw new QueryRefused(`unknown fragment ${name}`);
        if (spreading.includes(name)) throw new QueryRefused(`fragment ${name} spreads itself`);
        add(walk(fragment.selectionSet, parents, [...spreading, name]));
      } else if (selection.name.value.startsWith("__")) {
        // __typename, or introspection (__schema, __type): answered from the schema, not the database.
      } else if (selection.selectionSet === undefined) {
        depth = Math.max(depth, 1);
      } else {
        const isPage = selection.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "items");
        if (isPage) {
          const limit = limitOf(selection.arguments?.find((a) => a.name.value === "limit")?.value);
          const page = walkPage(selection.selectionSet, parents * limit, spreading);
          depth = Math.max(depth, 1 + page.depth);
          rows += page.rows;
        } else {
          const inner = walk(selection.selectionSet, parents, spreading);
          depth = Math.max(depth, 1 + inner.depth);
          rows += parents + inner.rows;
        }
      }
    }
    return { depth, rows };
  };

  // A page's selection: `items` holds `objects` objects; its other fields (totalCount, pageInfo) are one each.
  const walkPage = (set: SelectionSetNode, objects: number, spreading: readonly string[]): Cost => {
    let depth = 0;
    let rows = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD && selection.name.value === "items" && selection.selectionSet) {
        const inner = walk(selection.selectionSet, objects, spreading);
        depth = Math.max(depth, 1 + inner.depth);
        rows += objects + inner.rows;
      } else if (selection.kind === Kind.FIELD) {
        depth = Math.max(depth, selection.selectionSet ? 2 : 1);
      }
    }
    return { depth, rows };
  };

  return walk(operation.selectionSet, 1, []);
}

/** Checks a GraphQL request's body against LIMITS; throws QueryRefused with what is wrong. */
export function checkGraphqlRequest(text: string): void {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new QueryRefused('the body is not JSON: send {"query": "...", "variables": {...}}');
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new QueryRefused('the body must be a JSON object: {"query": "...", "variables": {...}}');
  }
  const { query, variables, operationName } = body as Record<string, unknown>;
  if (typeof query !== "string" || query.trim() === "") throw new QueryRefused("query: a GraphQL document is needed");
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) {
    throw new QueryRefused("variables: must be an object");
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") {
    throw new QueryRefused("operationName: must be a string");
  }
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: LIMITS.tokens });
  } catch (error) {
    throw new QueryRefused(`query: ${error instanceof GraphQLError ? error.message : String(error)}`);
  }
  const cost = queryCost(
    document,
    (variables ?? {}) as Record<string, unknown>,
    (operationName ?? undefined) as string | undefined,
  );
  if (cost.depth > LIMITS.depth) {
    throw new QueryRefused(`query: nested ${cost.depth} fields deep; at most ${LIMITS.depth} are allowed`);
  }
  if (cost.rows > LIMITS.rows) {
    throw new QueryRefused(
      `query: may return ${cost.rows.toLocaleString("en")} objects; at most ${LIMITS.rows.toLocaleString("en")} ` +
        "are allowed: ask for smaller pages (limit), or fewer nested lists",
    );
  }
}

/** In front of Ponder's graphql(): refuses what LIMITS forbid, and answers 400 to a request that cannot run. */
export const guardGraphql: MiddlewareHandler = async (c, next) => {
  if (c.req.method !== "POST") return next(); // GET is GraphiQL's page
  try {
    checkGraphqlRequest(await c.req.raw.clone().text());
  } catch (error) {
    if (error instanceof QueryRefused) return c.json({ errors: [{ message: error.message }] }, 400);
    throw error;
  }
  await next();
  // Ponder's middleware answers 200 even to a query that could not run (a validation error): such an answer has
  // errors and no data, and is a 400.
  const text = await c.res.clone().text();
  if (text.startsWith('{"errors"')) {
    const answer = JSON.parse(text) as { data?: unknown };
    if (answer.data === undefined) c.res = new Response(text, { status: 400, headers: c.res.headers });
  }
};

/**
 * In front of Ponder's client(): `/sql/db` needs a `sql` parameter in @ponder/client's encoding (superjson: a JSON
 * object with a `json` holding `sql` and `params`), and SQL Ponder refuses to run (it answers those 500, in text) is
 * a 400 with Ponder's reason.
 */
export const guardSql: MiddlewareHandler = async (c, next) => {
  if (c.req.path === "/sql/db") {
    const raw = c.req.query("sql");
    let encoded: unknown;
    try {
      encoded = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      encoded = undefined;
    }
    const query = (encoded as { json?: { sql?: unknown } } | undefined)?.json;
    if (typeof query?.sql !== "string") {
      return c.json({ error: "sql: a query as @ponder/client sends it (superjson of {sql, params})" }, 400);
    }
  }
  await next();
  if (c.res.status === 500 && c.res.headers.get("content-type")?.startsWith("text/plain")) {
    c.res = c.json({ error: `sql: ${await c.res.text()}` }, 400);
  }
};
