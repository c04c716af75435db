/**
 * The view's controls: date range (presets or custom dates), comparison, and one select per
 * filter dimension with the members that sold in the range. Every change goes to the URL.
 */
import { useId } from "preact/hooks";
import { useAnswer } from "../hooks/useAnswer.ts";
import { apiUrl, column } from "../lib/api.ts";
import {
  type Compare,
  type DateRange,
  FILTER_DIMENSIONS,
  type FilterDimension,
  isIsoDay,
  PRESET_LABELS,
  PRESETS,
  type Preset,
  type ViewState,
} from "../lib/url-state.ts";

const DIMENSION_LABELS: Record<FilterDimension, [string, string]> = {
  region: ["Region", "All regions"],
  segment: ["Segment", "All segments"],
  category: ["Category", "All categories"],
  sales_rep: ["Sales rep", "All sales reps"],
};

export const COMPARE_LABELS: Record<Compare, string> = {
  previous_period: "previous period",
  previous_year: "same period last year",
};

interface Props {
  view: ViewState;
  range: DateRange;
  onChange: (next: ViewState) => void;
  csvHref: string;
}

export function FilterBar({ view, range, onChange, csvHref }: Props) {
  const id = useId();
  const setPreset = (preset: Preset) =>
    onChange(
      preset === "custom"
        ? { ...view, preset, from: range.from, to: range.to }
        : { ...view, preset, from: undefined, to: undefined },
    );
  const setDate = (which: "from" | "to", value: string) => {
    if (!isIsoDay(value)) return;
    const next = { ...range, [which]: value };
    if (next.from <= next.to) onChange({ ...view, preset: "custom", ...next });
  };
  const setFilter = (name: FilterDimension, value: string | undefined) => {
    const filters = { ...view.filters };
    if (value === undefined) delete filters[name];
    else filters[name] = value;
    onChange({ ...view, filters });
  };
  const filtered = FILTER_DIMENSIONS.some((n) => view.filters[n] !== undefined);

  return (
    <form class="filters card" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <label class="field">
        <span class="field__label">Date range</span>
        <select
          class="field__input"
          data-testid="range"
          value={view.preset}
          onChange={(e) => setPreset(e.currentTarget.value as Preset)}
        >
          {PRESETS.map((p) => (
            <option key={p} value={p}>
              {PRESET_LABELS[p]}
            </option>
          ))}
        </select>
      </label>
      {view.preset === "custom" && (
        <>
          <label class="field" for={`${id}-from`}>
            <span class="field__label">From</span>
            <input
              id={`${id}-from`}
              class="field__input"
              type="date"
              value={range.from}
              max={range.to}
              onChange={(e) => setDate("from", e.currentTarget.value)}
            />
          </label>
          <label class="field" for={`${id}-to`}>
            <span class="field__label">To</span>
            <input
              id={`${id}-to`}
              class="field__input"
              type="date"
              value={range.to}
              min={range.from}
              onChange={(e) => setDate("to", e.currentTarget.value)}
            />
          </label>
        </>
      )}
      <label class="field">
        <span class="field__label">Compare with</span>
        <select
          class="field__input"
          data-testid="compare"
          value={view.compare}
          onChange={(e) => onChange({ ...view, compare: e.currentTarget.value as Compare })}
        >
          {(Object.keys(COMPARE_LABELS) as Compare[]).map((c) => (
            <option key={c} value={c}>
              {COMPARE_LABELS[c]}
            </option>
          ))}
        </select>
      </label>
      {FILTER_DIMENSIONS.map((name) => (
        <MemberSelect
          key={name}
          name={name}
          range={range}
          value={view.filters[name]}
          onChange={(value) => setFilter(name, value)}
        />
      ))}
      <div class="filters__actions">
        {filtered && (
          <button
            type="button"
            class="button button--quiet"
            onClick={() => onChange({ ...view, filters: {} })}
          >
            Clear filters
          </button>
        )}
        <a class="button" href={csvHref} download data-testid="export-csv">
          Export CSV
        </a>
      </div>
    </form>
  );
}

/** "(none)" stands for sales without a rep, which the API filters as an empty sales_rep. */
const NONE = "\u0000none";

function MemberSelect({
  name,
  range,
  value,
  onChange,
}: {
  name: FilterDimension;
  range: DateRange;
  value: string | undefined;
  onChange: (value: string | undefined) => void;
}) {
  const { answer } = useAnswer(
    apiUrl("/api/v1/breakdown", {
      metric: "orders",
      by: name,
      from: range.from,
      to: range.to,
      sort: "member",
      order: "asc",
      limit: "200",
    }),
    0,
    undefined,
    true,
  );
  const members = answer ? column<string | null>(answer, "member") : [];
  const labels = answer ? column<string | null>(answer, "label") : [];
  const [label, all] = DIMENSION_LABELS[name];
  const options = members.map((m, i) => [m ?? "", labels[i] ?? m ?? ""] as const);
  // A filter from a shared link may name a member without sales in this range: keep it selectable.
  if (value !== undefined && !options.some(([m]) => m === value)) options.push([value, value]);
  return (
    <label class="field">
      <span class="field__label">{label}</span>
      <select
        class="field__input"
        data-testid={`filter-${name}`}
        value={value === undefined ? "" : value === "" ? NONE : value}
        onChange={(e) => {
          const v = e.currentTarget.value;
          onChange(v === "" ? undefined : v === NONE ? "" : v);
        }}
      >
        <option value="">{all}</option>
        {options.map(([m, text]) => (
          <option key={m} value={m === "" ? NONE : m}>
            {m === "" ? "No sales rep" : text}
          </option>
        ))}
      </select>
    </label>
  );
}
