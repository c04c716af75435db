/**
 * "Ask Pulse" and the daily briefing, above the overview: a question box whose answer shows the
 * sentence, the interpretation as chips (click one to edit the question), the result as a table,
 * the sources folded out, and a link to the same view in the dashboard.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type AskAnswer, ask, type Briefing, dashboardLink, fetchBriefing } from "./ask-api.ts";
import "./ask.css";

export function AskPanel() {
  const [question, setQuestion] = useState("");
  const [answer, setAnswer] = useState<AskAnswer | null>(null);
  const [asked, setAsked] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  async function submit(text: string) {
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      setAnswer(await ask(text));
      setAsked(text);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Something went wrong.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="ask" aria-label="Ask Pulse">
      <DailyBriefing />
      <form
        class="ask__form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(question);
        }}
      >
        <label class="visually-hidden" for="ask-question">
          Ask a question about the sales
        </label>
        <input
          id="ask-question"
          ref={input}
          class="field__input ask__input"
          data-testid="ask-input"
          type="search"
          maxLength={500}
          placeholder="Ask: revenue in EMEA last week vs the week before?"
          value={question}
          onInput={(e) => setQuestion((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="button button--primary" disabled={busy}>
          {busy ? "Asking…" : "Ask"}
        </button>
      </form>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <Answer
          answer={answer}
          onEdit={() => {
            // The question comes back into the box, ready to change what the chip showed.
            setQuestion(asked);
            input.current?.focus();
            input.current?.select();
          }}
          onAsk={(text) => {
            setQuestion(text);
            void submit(text);
          }}
        />
      )}
    </section>
  );
}

function Answer({ answer, onEdit, onAsk }: { answer: AskAnswer; onEdit(): void; onAsk(t: string): void }) {
  const i = answer.interpretation;
  const chips = i
    ? [
        ...i.metrics.map((m) => m.replace(/_/g, " ")),
        ...Object.entries(i.filter_labels ?? i.filters).map(([d, m]) => `${d.replace("_", " ")}: ${m}`),
        i.from === i.to ? i.from : `${i.from} → ${i.to}`,
        ...(i.compare ? [`vs ${i.compare.from} → ${i.compare.to}`] : []),
      ]
    : [];
  return (
    <div class="ask__answer" data-testid="ask-answer" data-status={answer.status} aria-live="polite">
      <p class={answer.status === "answered" ? "ask__sentence" : "ask__sentence muted"}>{answer.answer}</p>
      {chips.length > 0 && (
        <ul class="ask__chips" aria-label="How Pulse read the question">
          {chips.map((chip) => (
            <li key={chip}>
              <button
                type="button"
                class="button button--quiet ask__chip"
                title="Edit the question"
                onClick={() => onEdit()}
              >
                {chip}
              </button>
            </li>
          ))}
        </ul>
      )}
      {answer.result && answer.result.data.length > 0 && <ResultTable result={answer.result} />}
      {answer.sources && i && (
        <details class="ask__sources">
          <summary>Sources</summary>
          <p>
            {answer.sources.metrics.map((m) => `${m.label}: ${m.definition}`).join(" ")} Tables:{" "}
            {answer.sources.tables.join(", ")}; {answer.sources.row_count} rows, computed{" "}
            {new Date(answer.sources.as_of).toLocaleString()}.
          </p>
          <p>
            <a href={answer.sources.endpoint}>The same numbers from the API</a> ·{" "}
            <a href={dashboardLink(i)}>Open in dashboard</a>
          </p>
          <pre class="ask__sql">{answer.sources.sql}</pre>
        </details>
      )}
      {answer.status !== "answered" && answer.suggestions && (
        <ul class="ask__suggestions" aria-label="Questions Pulse can answer">
          {answer.suggestions.map((s) => (
            <li key={s}>
              <button type="button" class="link-button" onClick={() => onAsk(s)}>
                {s}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ResultTable({ result }: { result: NonNullable<AskAnswer["result"]> }) {
  const rows = result.data[0]?.length ?? 0;
  const shown = Math.min(rows, 31);
  const cell = (v: unknown) =>
    typeof v === "number"
      ? v.toLocaleString(undefined, { maximumFractionDigits: 2 })
      : v === null
        ? "—"
        : String(v);
  return (
    <div class="ask__table-wrap">
      <table class="ask__table">
        <thead>
          <tr>
            {result.columns.map((c) => (
              <th key={c.name} scope="col">
                {c.name.replace(/_/g, " ")}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: shown }, (_, r) => (
            <tr key={r}>
              {result.columns.map((c, k) => (
                <td key={c.name}>{cell(result.data[k]![r])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows > shown && (
        <p class="muted">
          The first {shown} of {rows} rows.
        </p>
      )}
    </div>
  );
}

/**
 * Its line is there from the first screen ("Yesterday: …" while the briefing, asked for after the
 * first figures, is on its way), so the overview below it does not jump when it comes; it goes
 * only if there is no briefing to show.
 */
function DailyBriefing() {
  const [briefing, setBriefing] = useState<Briefing | "loading" | "none">("loading");
  useEffect(() => {
    const controller = new AbortController();
    fetchBriefing(controller.signal).then(setBriefing, () => {
      if (!controller.signal.aborted) setBriefing("none");
    });
    return () => controller.abort();
  }, []);
  if (briefing === "none") return null;
  const loaded = briefing !== "loading";
  return (
    <details class="ask__briefing" data-testid="briefing" aria-busy={!loaded}>
      <summary>
        <strong>Yesterday:</strong> {loaded ? briefing.headline : "…"}
      </summary>
      {loaded && briefing.sentences.map((s) => <p key={s}>{s}</p>)}
    </details>
  );
}
