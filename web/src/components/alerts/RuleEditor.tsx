/**
 * The admin's alert rules: the list (enable or disable each in one click), and a form to create or
 * edit one, whose "Preview" replays the draft on the last 30 days — a plot of what the rule watches,
 * what it expected, and where it would have fired and resolved — before anything is saved. Loaded
 * as its own chunk, only for admins.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import type uPlot from "uplot";
import * as z from "zod/mini";
import { type Marker, metricKind, requestJson } from "../../lib/alerts.ts";
import { chartOptions } from "../../lib/charts.ts";
import { Chart } from "../Chart.tsx";
import {
  bodyOf,
  type ConditionType,
  DIMENSIONS,
  emptyForm,
  formOf,
  METRICS,
  previewColumns,
  problemsOf,
  type RuleForm,
  type StoredRule,
} from "./rule-form.ts";

const PREVIEW_DAYS = 30;

const ruleBody = z.looseObject({
  id: z.string(),
  name: z.string(),
  metric: z.string(),
  condition: z.looseObject({ type: z.string() }),
  enabled: z.optional(z.boolean()),
});
const rulesBody = z.object({ rules: z.array(ruleBody) });
const channelsBody = z.object({ channels: z.array(z.looseObject({ id: z.string(), type: z.string() })) });
const previewBody = z.object({
  evaluations: z.number(),
  breaches: z.number(),
  unjudged: z.number(),
  series: z.object({
    t: z.array(z.number()),
    observed: z.array(z.nullable(z.number())),
    expected: z.array(z.nullable(z.number())),
    breach: z.array(z.boolean()),
  }),
  incidents: z.array(
    z.object({ kind: z.string(), alert_id: z.string(), at: z.string(), summary: z.string() }),
  ),
  note: z.string(),
});
type Preview = z.infer<typeof previewBody>;

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function RuleEditor() {
  const [rules, setRules] = useState<StoredRule[] | null>(null);
  const [channels, setChannels] = useState<string[]>([]);
  const [form, setForm] = useState<{ value: RuleForm; isNew: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([
      requestJson("/api/v1/alerts/rules", rulesBody, { signal: controller.signal }),
      requestJson("/api/v1/alerts/channels", channelsBody, { signal: controller.signal }),
    ]).then(
      ([r, c]) => {
        setRules(r.rules as StoredRule[]);
        setChannels(c.channels.map((ch) => ch.id));
        setError(null);
      },
      (e: unknown) => !controller.signal.aborted && setError(message(e)),
    );
    return () => controller.abort();
  }, [reload]);

  const toggle = async (rule: StoredRule) => {
    const { id, version: _v, ...definition } = rule;
    try {
      await requestJson(
        `/api/v1/alerts/rules/${id}`,
        ruleBody,
        json("PUT", { ...definition, enabled: !(rule.enabled ?? true) }),
      );
      setReload((n) => n + 1);
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <div class="rules" data-testid="rule-editor">
      <div class="section-head">
        <h3 class="alerts__subtitle">Rules</h3>
        <button
          type="button"
          class="button button--small"
          data-testid="rule-new"
          onClick={() => setForm({ value: emptyForm(channels), isNew: true })}
        >
          New rule
        </button>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {rules === null ? (
        <p class="muted">Loading rules…</p>
      ) : (
        <ul class="rules__list" data-testid="rules">
          {rules.map((rule) => (
            <li
              key={rule.id}
              class="rules__item"
              data-rule-id={rule.id}
              data-enabled={String(rule.enabled ?? true)}
            >
              <span class="rules__name">
                {rule.name} <span class="muted">({rule.id})</span>
              </span>
              <span class="rules__actions">
                <button
                  type="button"
                  class="button button--small button--quiet"
                  onClick={() => setForm({ value: formOf(rule), isNew: false })}
                >
                  Edit<span class="visually-hidden"> {rule.name}</span>
                </button>
                <button
                  type="button"
                  class="button button--small button--quiet"
                  onClick={() => void toggle(rule)}
                >
                  {(rule.enabled ?? true) ? "Disable" : "Enable"}
                  <span class="visually-hidden"> {rule.name}</span>
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {form && (
        <RuleFormView
          key={`${form.value.id}-${form.isNew}`}
          initial={form.value}
          isNew={form.isNew}
          channels={channels}
          onDone={(saved) => {
            setForm(null);
            if (saved) setReload((n) => n + 1);
          }}
        />
      )}
    </div>
  );
}

function Field(props: { label: string; error?: string; children: preact.ComponentChildren; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: every use wraps its control in `children`
    <label class="field">
      <span class="field__label">{props.label}</span>
      {props.children}
      {props.hint && <span class="muted rules__hint">{props.hint}</span>}
      {props.error && <span class="form-error">{props.error}</span>}
    </label>
  );
}

function RuleFormView({
  initial,
  isNew,
  channels,
  onDone,
}: {
  initial: RuleForm;
  isNew: boolean;
  channels: string[];
  onDone: (saved: boolean) => void;
}) {
  const [f, setF] = useState(initial);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState<"preview" | "save" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);
  const problems = problemsOf(f);
  const shown = touched ? problems : {};
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) =>
    setF((old) => ({ ...old, [key]: value }));
  const input = (key: keyof RuleForm) => (e: Event) =>
    set(key, (e.currentTarget as HTMLInputElement).value as never);

  const run = async (what: "preview" | "save") => {
    setTouched(true);
    if (Object.keys(problems).length > 0) return;
    setBusy(what);
    setError(null);
    try {
      if (what === "preview") {
        setPreview(
          await requestJson(
            `/api/v1/alerts/rules/${f.id}/preview?days=${PREVIEW_DAYS}`,
            previewBody,
            json("POST", bodyOf(f)),
          ),
        );
      } else {
        await requestJson(`/api/v1/alerts/rules/${f.id}`, ruleBody, json("PUT", bodyOf(f)));
        onDone(true);
      }
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(null);
    }
  };

  const grains = f.type === "change" ? ["hour", "day_so_far"] : ["minute", "hour", "day_so_far"];
  return (
    <form
      class="rule-form"
      data-testid="rule-form"
      aria-label={isNew ? "New rule" : `Edit rule ${initial.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void run("save");
      }}
    >
      <div class="rule-form__grid">
        <Field label="Id" error={shown.id}>
          <input
            class="field__input"
            name="id"
            value={f.id}
            disabled={!isNew}
            aria-invalid={shown.id ? "true" : undefined}
            onInput={input("id")}
          />
        </Field>
        <Field label="Name" error={shown.name}>
          <input class="field__input" name="name" value={f.name} onInput={input("name")} />
        </Field>
        <Field label="Metric">
          <select class="field__input" name="metric" value={f.metric} onChange={input("metric")}>
            {METRICS.map((m) => (
              <option key={m} value={m}>
                {m.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Watch">
          <select class="field__input" name="scope" value={f.scope} onChange={input("scope")}>
            <option value="all">the whole business</option>
            <option value="one">one member of a dimension</option>
            <option value="each">each member of a dimension</option>
          </select>
        </Field>
        {f.scope !== "all" && (
          <Field label="Dimension">
            <select class="field__input" name="dim" value={f.dim} onChange={input("dim")}>
              {DIMENSIONS.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </Field>
        )}
        {f.scope === "one" && (
          <Field label="Member" error={shown.member}>
            <input class="field__input" name="member" value={f.member} onInput={input("member")} />
          </Field>
        )}
        <Field label="Condition">
          <select
            class="field__input"
            name="type"
            value={f.type}
            onChange={(e) => set("type", (e.currentTarget as HTMLSelectElement).value as ConditionType)}
          >
            <option value="anomaly">unusual (anomaly)</option>
            <option value="threshold">above / below a value</option>
            <option value="change">changed by a percentage</option>
            <option value="no_data">no orders for a while</option>
          </select>
        </Field>
        {f.type === "anomaly" && (
          <>
            <Field label="Detector" hint="seasonal: vs the same time in earlier weeks">
              <select class="field__input" name="detector" value={f.detector} onChange={input("detector")}>
                <option value="seasonal">seasonal</option>
                <option value="zscore">zscore (30-day mean ± 2σ)</option>
                <option value="streaming">streaming</option>
              </select>
            </Field>
            <Field label="Sensitivity">
              <select
                class="field__input"
                name="sensitivity"
                value={f.sensitivity}
                onChange={input("sensitivity")}
              >
                <option value="low">low</option>
                <option value="medium">medium</option>
                <option value="high">high</option>
              </select>
            </Field>
          </>
        )}
        {(f.type === "threshold" || f.type === "change") && (
          <>
            <Field label="Window">
              <select class="field__input" name="grain" value={f.grain} onChange={input("grain")}>
                {grains.map((g) => (
                  <option key={g} value={g}>
                    {g.replace(/_/g, " ")}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="When">
              <select class="field__input" name="op" value={f.op} onChange={input("op")}>
                <option value="<">below</option>
                <option value=">">above</option>
              </select>
            </Field>
          </>
        )}
        {f.type === "threshold" && (
          <Field label="Value" error={shown.value}>
            <input
              class="field__input"
              name="value"
              inputMode="decimal"
              value={f.value}
              onInput={input("value")}
            />
          </Field>
        )}
        {f.type === "change" && (
          <>
            <Field label="Compared with">
              <select class="field__input" name="vs" value={f.vs} onChange={input("vs")}>
                <option value="same_time_last_week">same time last week</option>
                <option value="previous_period">the period before</option>
              </select>
            </Field>
            <Field label="Change (%)" error={shown.pct}>
              <input
                class="field__input"
                name="pct"
                inputMode="decimal"
                value={f.pct}
                onInput={input("pct")}
              />
            </Field>
          </>
        )}
        {f.type === "no_data" && (
          <Field label="Minutes without orders" error={shown.minutes}>
            <input
              class="field__input"
              name="minutes"
              inputMode="numeric"
              value={f.minutes}
              onInput={input("minutes")}
            />
          </Field>
        )}
        <Field label="Fire after (breaching updates)" error={shown.forUpdates}>
          <input
            class="field__input"
            name="for_updates"
            inputMode="numeric"
            value={f.forUpdates}
            onInput={input("forUpdates")}
          />
        </Field>
        <Field label="Resolve after (clear updates)" error={shown.resolveAfter}>
          <input
            class="field__input"
            name="resolve_after"
            inputMode="numeric"
            value={f.resolveAfter}
            onInput={input("resolveAfter")}
          />
        </Field>
        <Field label="Minimum volume (orders)" error={shown.minVolume}>
          <input
            class="field__input"
            name="min_volume"
            inputMode="decimal"
            value={f.minVolume}
            onInput={input("minVolume")}
          />
        </Field>
      </div>
      <fieldset class="rule-form__channels">
        <legend class="field__label">Deliver to</legend>
        {channels.length === 0 && (
          <span class="muted">No channels yet (the dashboard still shows the alert).</span>
        )}
        {channels.map((id) => (
          <label key={id} class="rule-form__check">
            <input
              type="checkbox"
              checked={f.channels.includes(id)}
              onChange={(e) =>
                set(
                  "channels",
                  (e.currentTarget as HTMLInputElement).checked
                    ? [...f.channels, id]
                    : f.channels.filter((c) => c !== id),
                )
              }
            />{" "}
            {id}
          </label>
        ))}
        <label class="rule-form__check">
          <input
            type="checkbox"
            name="enabled"
            checked={f.enabled}
            onChange={(e) => set("enabled", (e.currentTarget as HTMLInputElement).checked)}
          />{" "}
          Enabled
        </label>
      </fieldset>
      {error && (
        <p class="form-error" role="alert" data-testid="rule-error">
          {error}
        </p>
      )}
      <div class="rule-form__actions">
        <button
          type="button"
          class="button"
          data-testid="rule-preview"
          disabled={busy !== null}
          onClick={() => void run("preview")}
        >
          {busy === "preview" ? "Replaying…" : `Preview last ${PREVIEW_DAYS} days`}
        </button>
        <button type="submit" class="button button--primary" data-testid="rule-save" disabled={busy !== null}>
          {busy === "save" ? "Saving…" : "Save rule"}
        </button>
        <button type="button" class="button button--quiet" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
      {preview && <PreviewPlot preview={preview} metric={f.metric} />}
    </form>
  );
}

function PreviewPlot({ preview, metric }: { preview: Preview; metric: string }) {
  const data = useMemo<uPlot.AlignedData>(() => previewColumns(preview.series), [preview]);
  const markers = useMemo<Marker[]>(
    () =>
      preview.incidents
        .filter((i) => i.kind === "firing" || i.kind === "resolved")
        .map((i) => ({
          t: Date.parse(i.at) / 1000,
          kind: i.kind === "firing" ? "start" : "end",
          alertId: i.alert_id,
          label: i.summary,
        })),
    [preview],
  );
  const fired = preview.incidents.filter((i) => i.kind === "firing").length;
  const kind = metricKind(metric);
  return (
    <div class="rule-preview" data-testid="rule-preview-result" data-fired={fired}>
      <Chart
        title={`Preview: the last ${PREVIEW_DAYS} days`}
        summary={`Would have fired ${fired} ${fired === 1 ? "time" : "times"} (${preview.breaches} breaching of ${preview.evaluations} evaluations; ${preview.unjudged} not judged).`}
        data={data}
        markers={markers}
        testId="rule-preview-chart"
        options={(lib, width) =>
          chartOptions(lib, width, 220, "day", [
            { label: "Watched", kind, colour: "accent" },
            { label: "Expected", kind, colour: "second", dash: [6, 4] },
            { label: "Breach", kind, colour: "danger", markers: true },
          ])
        }
      />
      <p class="muted rules__hint">{preview.note}</p>
    </div>
  );
}
