/**
 * Drill-down: revenue by region as bars; a bar opens that region's segments, then their products,
 * then the underlying sales. Breadcrumbs lead back up. The view's filters and range apply at every
 * level; the API's `meta.drill.next` says what the next level is.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useAnswer } from "../hooks/useAnswer.ts";
import { apiUrl, column } from "../lib/api.ts";
import { formatValue } from "../lib/format.ts";
import { apiParams, type DateRange, type ViewFilters } from "../lib/url-state.ts";
import { SalesTable } from "./SalesTable.tsx";

interface Step {
  by: string;
  member: string;
  label: string;
}

const LEVEL_NAMES: Record<string, string> = {
  region: "Regions",
  segment: "Segments",
  category: "Categories",
  product: "Products",
  sales_rep: "Sales reps",
  sale: "Sales",
};
const PATH = ["region", "segment", "product"] as const;

interface Props {
  range: DateRange;
  filters: ViewFilters;
}

export function DrillDown({ range, filters }: Props) {
  const [steps, setSteps] = useState<Step[]>([]);
  const [by, setBy] = useState<string>(() => firstLevel(filters));
  const key = JSON.stringify([range, filters]);
  // A new view starts the drill-down again from its top.
  useEffect(() => {
    setSteps([]);
    setBy(firstLevel(filters));
  }, [key]);

  // The clicked bar or breadcrumb is gone after a move: keep keyboard users in place by moving focus
  // to the panel's heading (which names the new level).
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  useEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [by, steps.length]);

  const params = apiParams(range, filters) as Record<string, string>;
  for (const step of steps) params[step.by] = step.member;

  const goTo = (depth: number) => {
    moved.current = true;
    const kept = steps.slice(0, depth);
    setSteps(kept);
    setBy(kept.length === 0 ? firstLevel(filters) : (nextOf(kept[kept.length - 1]!.by) ?? "sale"));
  };

  return (
    <section class="drill card" aria-labelledby="drill-title" data-testid="drill">
      <div class="section-head">
        <h2 id="drill-title" class="section-title" ref={heading} tabIndex={-1}>
          Drill-down: {LEVEL_NAMES[by] ?? by}
        </h2>
        <a
          class="button button--small"
          download
          data-testid="drill-csv"
          href={apiUrl("/api/v1/export.csv", { report: "breakdown", metric: "revenue", by, ...params })}
        >
          CSV
        </a>
      </div>
      <nav aria-label="Drill-down path">
        <ol class="breadcrumbs" data-testid="breadcrumbs">
          <li>
            {steps.length === 0 ? (
              <span aria-current="location">All</span>
            ) : (
              <button type="button" class="link" onClick={() => goTo(0)}>
                All
              </button>
            )}
          </li>
          {steps.map((step, i) => (
            <li key={step.by}>
              {i === steps.length - 1 ? (
                <span aria-current="location">{step.label}</span>
              ) : (
                <button type="button" class="link" onClick={() => goTo(i + 1)}>
                  {step.label}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      {by === "sale" ? (
        <SalesTable params={params} />
      ) : (
        <Members
          by={by}
          params={params}
          onOpen={(member, label, next) => {
            moved.current = true;
            setSteps([...steps, { by, member, label }]);
            setBy(next);
          }}
        />
      )}
    </section>
  );
}

function firstLevel(filters: ViewFilters): string {
  return PATH.find((d) => d === "product" || filters[d] === undefined) ?? "product";
}

function nextOf(by: string): string | null {
  const i = PATH.indexOf(by as (typeof PATH)[number]);
  return i < 0 ? "product" : i + 1 < PATH.length ? PATH[i + 1]! : "sale";
}

function Members({
  by,
  params,
  onOpen,
}: {
  by: string;
  params: Record<string, string>;
  onOpen: (member: string, label: string, next: string) => void;
}) {
  const { answer, error } = useAnswer(
    apiUrl("/api/v1/breakdown", { metric: "revenue", by, ...params, limit: "50" }),
  );
  if (error && !answer) return <p class="form-error">{error}</p>;
  if (!answer) return <p class="muted">Loading…</p>;
  const members = column<string | null>(answer, "member");
  const labels = column<string | null>(answer, "label");
  const values = column<number | null>(answer, "revenue");
  const shares = column<number | null>(answer, "share_pct");
  const drill = answer.meta.drill as { next?: string } | null;
  const next = drill?.next ?? nextOf(by) ?? "sale";
  const max = Math.max(0, ...values.map((v) => v ?? 0)) || 1;
  if (members.length === 0) return <p class="muted">No sales in this range.</p>;
  return (
    <ul class="bars" aria-label={`Revenue by ${by.replace("_", " ")}`}>
      {members.map((member, i) => {
        const label = labels[i] ?? member ?? "(none)";
        const value = values[i] ?? 0;
        const share = shares[i];
        return (
          <li key={member ?? ""}>
            <button
              type="button"
              class="bar"
              data-testid="drill-bar"
              data-member={member ?? ""}
              data-value={value}
              onClick={() => onOpen(member ?? "", label, next)}
            >
              <span class="bar__label">{label}</span>
              <span class="bar__track" aria-hidden="true">
                <span class="bar__fill" style={{ width: `${(value / max) * 100}%` }} />
              </span>
              <span class="bar__value">
                {formatValue(value, "currency")}
                {share === null || share === undefined ? "" : ` · ${formatValue(share, "percent")}`}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
