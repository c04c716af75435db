/**
 * The question box's calls: `POST /api/v1/ask` and `GET /api/v1/insights/daily`, parsed with
 * zod/mini like every other payload of the page. Loaded lazily with the panel, so it costs the
 * first visit nothing.
 */
import * as z from "zod/mini";
import { afterFirstScreen } from "../../lib/first-screen.ts";

const table = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string(), unit: z.optional(z.string()) })),
  data: z.array(z.array(z.unknown())),
});

const askBody = z.object({
  status: z.enum(["answered", "clarify", "refused"]),
  answer: z.string(),
  interpretation: z.nullable(
    z.object({
      text: z.string(),
      metrics: z.array(z.string()),
      filters: z.record(z.string(), z.string()),
      filter_labels: z.optional(z.record(z.string(), z.string())),
      from: z.string(),
      to: z.string(),
      compare: z.optional(z.object({ mode: z.string(), from: z.string(), to: z.string() })),
      assumptions: z.optional(z.array(z.string())),
    }),
  ),
  result: z.nullable(table),
  sources: z.nullable(
    z.object({
      tables: z.array(z.string()),
      sql: z.string(),
      endpoint: z.string(),
      as_of: z.string(),
      row_count: z.number(),
      metrics: z.array(z.object({ name: z.string(), label: z.string(), definition: z.string() })),
    }),
  ),
  candidates: z.optional(z.array(z.object({ label: z.string(), kind: z.string() }))),
  suggestions: z.optional(z.array(z.string())),
});
export type AskAnswer = z.infer<typeof askBody>;

const briefingBody = z.object({ date: z.string(), headline: z.string(), sentences: z.array(z.string()) });
export type Briefing = z.infer<typeof briefingBody>;

async function call<T>(path: string, schema: z.ZodMiniType<T>, init: RequestInit): Promise<T> {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = (body as { error?: { message?: string } } | undefined)?.error?.message;
    throw new Error(message ?? `The server answered ${response.status}.`);
  }
  const parsed = z.safeParse(schema, body);
  if (!parsed.success) throw new Error(`Unexpected response from ${path}.`);
  return parsed.data;
}

export function ask(question: string, signal?: AbortSignal): Promise<AskAnswer> {
  return call("/api/v1/ask", askBody, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ question }),
    signal,
  });
}

export function fetchBriefing(signal?: AbortSignal): Promise<Briefing> {
  return afterFirstScreen().then(() =>
    call("/api/v1/insights/daily", briefingBody, { signal, cache: "no-store" }),
  );
}

/** The dashboard view of an answer's interpretation (its range and filters). */
export function dashboardLink(i: NonNullable<AskAnswer["interpretation"]>): string {
  const params = new URLSearchParams({ from: i.from, to: i.to });
  for (const name of ["region", "segment", "category", "sales_rep"]) {
    const value = i.filters[name];
    if (value !== undefined) params.set(name, value);
  }
  if (i.compare && i.compare.mode !== "range") params.set("compare", i.compare.mode);
  return `/?${params.toString()}`;
}
