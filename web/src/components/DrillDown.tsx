/**
 * Drill-down: revenue by region as bars; a bar opens that region's segments, then their products,
 * then the underlying sales. Breadcrumbs lead back up. The view's filters and range apply at every
 * level; the path is part of the view (the URL).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useAnswer } from "../hooks/useAnswer.ts";
import { apiUrl, column } from "../lib/api.ts";
import { formatValue } from "../lib/format.ts";
import {
  apiParams,
  type DateRange,
  type DrillDimension,
  type DrillStep,
  type ViewFilters,
} from "../lib/url-state.ts";
import { SalesTable } from "./SalesTable.tsx";

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
  /** The path opened so far (kept in the URL: a drilled view can be shared, Back goes up). */
  steps: DrillStep[];
  onSteps: (steps: DrillStep[]) => void;
}

export function DrillDown({ range, filters, steps, onSteps }: Props) {
  // Members' display names as seen on their bars (a path from a link shows the members themselves).
  const [labels, setLabels] = useState<Map<string, string>>(() => new Map());
  const last = steps[steps.length - 1];
  const by = last ? nextOf(last.by) : firstLevel(filters);

  // The clicked bar or breadcrumb is gone after a move: keep keyboard users in place by moving focus
  // to the panel's heading (which names the new level).
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  useEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [by, steps.length]);

  const params = apiParams(range, filters) as Record<string, string>;
  for (const step of steps) params[step.by] = step.member;
  const labelOf = (step: DrillStep) => labels.get(`${step.by}:${step.member}`) ?? (step.member || "(none)");
  const goTo = (depth: number) => {
    moved.current = true;
    onSteps(steps.slice(0, depth));
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
                <span aria-current="location">{labelOf(step)}</span>
              ) : (
                <button type="button" class="link" onClick={() => goTo(i + 1)}>
                  {labelOf(step)}
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
          onOpen={(member, label) => {
            moved.current = true;
            setLabels(new Map(labels).set(`${by}:${member}`, label));
            onSteps([...steps, { by, member }]);
          }}
        />
      )}
    </section>
  );
}

/** The top level: the first of region, segment, product the view doesn't already filter by. */
function firstLevel(filters: ViewFilters): DrillDimension {
  return PATH.find((d) => d === "product" || filters[d] === undefined) ?? "product";
}

/** The level after `by`, as the API's `meta.drill.next` names it: along the path, then the sales. */
function nextOf(by: DrillDimension): DrillDimension | "sale" {
  if (by === "product") return "sale";
  const i = PATH.indexOf(by as (typeof PATH)[number]);
  return i < 0 ? "product" : PATH[i + 1]!;
}

function Members({
  by,
  params,
  onOpen,
}: {
  by: DrillDimension;
  params: Record<string, string>;
  onOpen: (member: string, label: string) => void;
}) {
  const { answer, error } = useAnswer(
    apiUrl("/api/v1/breakdown", { metric: "revenue", by, ...params, limit: "50" }),
    0,
    undefined,
    true,
  );
  if (error && !answer) return <p class="form-error">{error}</p>;
  if (!answer) return <p class="muted">Loading…</p>;
  const members = column<string | null>(answer, "member");
  const labels = column<string | null>(answer, "label");
  const values = column<number | null>(answer, "revenue");
  const shares = column<number | null>(answer, "share_pct");
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
              onClick={() => onOpen(member ?? "", label)}
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
