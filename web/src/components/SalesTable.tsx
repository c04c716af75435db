/** The underlying sales of a drill-down: a page at a time, sortable by the columns the API sorts. */
import { useEffect, useState } from "preact/hooks";
import { useAnswer } from "../hooks/useAnswer.ts";
import { apiUrl, column } from "../lib/api.ts";
import { formatInstant, formatValue } from "../lib/format.ts";

const PAGE = 25;
type Sort = "sale_timestamp" | "sale_id" | "quantity" | "revenue" | "net_revenue";

const COLUMNS: { name: string; label: string; sort?: Sort; numeric?: boolean }[] = [
  { name: "sale_timestamp", label: "Time", sort: "sale_timestamp" },
  { name: "sale_id", label: "Sale", sort: "sale_id" },
  { name: "product_name", label: "Product" },
  { name: "region", label: "Region" },
  { name: "segment", label: "Segment" },
  { name: "quantity", label: "Units", sort: "quantity", numeric: true },
  { name: "revenue", label: "Revenue", sort: "revenue", numeric: true },
  { name: "net_revenue", label: "Net revenue", sort: "net_revenue", numeric: true },
];

export function SalesTable({ params }: { params: Record<string, string> }) {
  const [sort, setSort] = useState<Sort>("sale_timestamp");
  const [order, setOrder] = useState<"asc" | "desc">("desc");
  const [offset, setOffset] = useState(0);
  const key = JSON.stringify(params);
  useEffect(() => setOffset(0), [key]);
  const { answer, error, loading } = useAnswer(
    apiUrl("/api/v1/breakdown", {
      by: "sale",
      ...params,
      sort,
      order,
      limit: String(PAGE),
      offset: String(offset),
    }),
  );
  if (error && !answer) return <p class="form-error">{error}</p>;
  if (!answer) return <p class="muted">Loading…</p>;
  const total = (answer.meta.total as number | null) ?? 0;
  const rows = column(answer, "sale_id").length;
  const cell = (name: string, i: number) => {
    const v = column(answer, name)[i];
    if (v === null || v === undefined) return "—";
    if (name === "sale_timestamp") return formatInstant(String(v));
    // Amounts and counts read as the answer's column says (its unit), never by their names here.
    const unit = answer.columns.find((c) => c.name === name)?.unit;
    if (unit === "currency" || unit === "count") return formatValue(Number(v), unit);
    return String(v);
  };
  const sortBy = (s: Sort) => {
    setOffset(0);
    if (s === sort) setOrder(order === "asc" ? "desc" : "asc");
    else {
      setSort(s);
      setOrder("desc");
    }
  };
  return (
    <div class="sales" aria-busy={loading}>
      <div class="table-scroll">
        <table class="table" data-testid="sales-table">
          <caption class="visually-hidden">Sales, sorted by {sort.replace("_", " ")}</caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.name}
                  scope="col"
                  class={c.numeric ? "num" : undefined}
                  aria-sort={c.sort === sort ? (order === "asc" ? "ascending" : "descending") : undefined}
                >
                  {c.sort ? (
                    <button
                      type="button"
                      class="link"
                      data-testid={`sort-${c.name}`}
                      onClick={() => sortBy(c.sort!)}
                    >
                      {c.label}
                      <span aria-hidden="true">{c.sort === sort ? (order === "asc" ? " ▲" : " ▼") : ""}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {Array.from({ length: rows }, (_, i) => (
              <tr key={String(column(answer, "sale_id")[i])} data-testid="sale-row">
                {COLUMNS.map((c) => (
                  <td key={c.name} class={c.numeric ? "num" : undefined} data-column={c.name}>
                    {cell(c.name, i)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="pager">
        <button
          type="button"
          class="button button--small"
          disabled={offset === 0}
          onClick={() => setOffset(Math.max(0, offset - PAGE))}
        >
          Previous
        </button>
        <span class="muted" data-testid="sales-range">
          {rows === 0 ? "No sales" : `${offset + 1}–${offset + rows} of ${total}`}
        </span>
        <button
          type="button"
          class="button button--small"
          disabled={answer.meta.next_offset === null || answer.meta.next_offset === undefined}
          onClick={() => setOffset(offset + PAGE)}
        >
          Next
        </button>
      </div>
    </div>
  );
}
