/**
 * A transaction's statements, sent together. Each round trip to Postgres waits for the Worker's
 * thread twice (to send, and to read the answer), and a queue batch's transaction is on the path of
 * every live update: on a busy isolate its ~20 statements one by one cost more than running them.
 *
 * - Statements issued in the same turn (`Promise.all` of several queries) travel as one message.
 * - `later` statements — writes whose result the transaction does not need yet — wait for the next
 *   statement that is awaited (at the latest the `COMMIT`) and go with it.
 *
 * Sent together, they are one simple-query message with their parameters written as literals
 * (quoted as the driver's `escapeLiteral` does, arrays in Postgres' array syntax, as the driver itself would write them as
 * text), run in order, and each gets its own result. When one fails, Postgres skips the rest, and
 * every statement of the message rejects with that error (its SQLSTATE intact). A statement sent
 * alone keeps its parameters.
 */
import type { QueryResult, QueryResultRow } from "@neondatabase/serverless";

/** What code needs of a connection: queries. A `Client`, or a transaction's `Statements`. */
export interface Queryable {
  // biome-ignore lint/suspicious/noExplicitAny: the driver's own default row type
  query<R extends QueryResultRow = any>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

interface Pending {
  /** A statement, or the driver's query object (the ORM's), which is always sent alone. */
  text: string | object;
  params: readonly unknown[] | undefined;
  resolve: (result: QueryResult) => void;
  reject: (error: unknown) => void;
  /** Settles with the statement's result (or its message's failure). */
  done: Promise<QueryResult>;
}

export class Statements implements Queryable {
  readonly #client: Queryable;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(client: Queryable) {
    this.#client = client;
  }

  // biome-ignore lint/suspicious/noExplicitAny: the driver's own default row type
  query<R extends QueryResultRow = any>(
    text: string | object,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> {
    const result = this.#push(text, params);
    this.#schedule();
    return result as Promise<QueryResult<R>>;
  }

  /** Sends what is queued (e.g. writes outside a transaction) and waits for it. */
  async flush(): Promise<void> {
    const last = this.#queue.at(-1);
    if (!last) return;
    this.#schedule();
    await last.done; // the last of one message: it settles when the message does
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#send());
  }

  /**
   * Queues a statement to go with the next one awaited (at the latest the `COMMIT`); its failure
   * fails that one, and so the transaction.
   */
  later(text: string, params?: readonly unknown[]): void {
    void this.alongside(text, params);
  }

  /**
   * Queues a read to go with the next statement awaited (e.g. the `COMMIT`). Its result arrives
   * with that statement's, so it must not be awaited before it.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the driver's own default row type
  alongside<R extends QueryResultRow = any>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> {
    const result = this.#push(text, params) as Promise<QueryResult<R>>;
    result.catch(() => undefined); // the statement it goes with reports the failure
    return result;
  }

  /** Drops what is queued (the transaction is being rolled back): each rejects with `reason`. */
  discard(reason: unknown): void {
    for (const p of this.#queue.splice(0)) p.reject(reason);
  }

  #push(text: string | object, params: readonly unknown[] | undefined): Promise<QueryResult> {
    const { promise, resolve, reject } = Promise.withResolvers<QueryResult>();
    this.#queue.push({ text, params, resolve, reject, done: promise });
    return promise;
  }

  /** Sends what is queued: alone with its parameters, or as one message. The driver keeps the order. */
  #send(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0);
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      this.#client.query(only.text as string, only.params).then(only.resolve, only.reject);
      return;
    }
    const text = together(batch);
    if (text === null) {
      // One by one, each with its parameters; once one fails, the rest report that failure (not
      // Postgres' "transaction is aborted" for each).
      let failure: unknown;
      for (const p of batch)
        this.#client.query(p.text as string, p.params).then(p.resolve, (error: unknown) => {
          failure ??= error;
          p.reject(failure);
        });
      return;
    }
    this.#client.query(text).then(
      (results) => {
        // One result per statement (the driver returns an array for several).
        const each = Array.isArray(results) ? (results as QueryResult[]) : [results];
        if (each.length !== batch.length) {
          // A statement text that held several statements: its results cannot be told apart.
          const error = new Error(`${batch.length} statements sent together, ${each.length} results`);
          for (const p of batch) p.reject(error);
          return;
        }
        for (const [i, p] of batch.entries()) p.resolve(each[i]!);
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  }
}

/**
 * A write whose result the caller does not need: in a transaction (`Statements`) it goes with the
 * next statement awaited, elsewhere it is sent now.
 */
export async function write(db: Queryable, text: string, params?: readonly unknown[]): Promise<void> {
  if (db instanceof Statements) db.later(text, params);
  else await db.query(text, params);
}

/**
 * A read whose result can wait for the next statement awaited (in a transaction, typically the
 * `COMMIT`: a read of what the transaction wrote, in its message); elsewhere it is sent now.
 */
// biome-ignore lint/suspicious/noExplicitAny: the driver's own default row type
export function alongside<R extends QueryResultRow = any>(
  db: Queryable,
  text: string,
  params?: readonly unknown[],
): Promise<QueryResult<R>> {
  return db instanceof Statements ? db.alongside<R>(text, params) : db.query<R>(text, params);
}

/**
 * The statements as one simple-query message; null when a parameter cannot be written as a literal
 * there (a NUL character would end the message; sent as a parameter, Postgres refuses the value
 * with a data error, which quarantines the event instead of retrying it).
 */
function together(batch: readonly Pending[]): string | null {
  const texts: string[] = [];
  for (const p of batch) {
    const text = typeof p.text === "string" ? inline(p.text, p.params) : null;
    if (text === null || text.includes("\u0000")) return null;
    texts.push(`${text}\n;`);
  }
  return texts.join("\n");
}

/** `$n`, or a string literal, a quoted name or a comment (in which a `$n` is not a placeholder). */
const PLACEHOLDER = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$(\d+)/g;

/**
 * `text` with `$n` replaced by its parameter as a literal; null when a placeholder has no parameter
 * (sent alone, Postgres says which).
 */
export function inline(text: string, params: readonly unknown[] | undefined): string | null {
  const trimmed = text.trim().replace(/;+$/, "");
  let missing = false;
  const inlined = trimmed.replace(PLACEHOLDER, (match, n: string | undefined) => {
    if (n === undefined) return match; // a literal, a quoted name or a comment: as written
    const index = Number(n) - 1;
    if (!params || index < 0 || index >= params.length) {
      missing = true;
      return match;
    }
    return literal(params[index]);
  });
  return missing ? null : inlined;
}

/** A parameter as a SQL literal: what the driver would send as text, quoted. */
export function literal(value: unknown): string {
  const text = asText(value);
  return text === null ? "NULL" : quote(text);
}

/** A string literal: quotes doubled; with backslashes, an escape string with them doubled too. */
function quote(text: string): string {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes("\\") ? `E${quoted.replace(/\\/g, "\\\\")}` : quoted;
}

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return arrayText(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Postgres' array syntax: `{"a","b",NULL,{...}}`, each element quoted and escaped. */
function arrayText(values: readonly unknown[]): string {
  const elements = values.map((v) => {
    if (Array.isArray(v)) return arrayText(v);
    const text = asText(v);
    return text === null ? "NULL" : `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  });
  return `{${elements.join(",")}}`;
}
