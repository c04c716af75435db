/**
 * The first screen's figures go out first. A cold load asks for a dozen things at once (tiles,
 * charts, filter lists, drill-down, health, alerts, the briefing) and they share one database —
 * on the embedded default, one backend that runs their queries one after another — so the tiles'
 * totals and the charts would wait behind the rest. Requests that can wait call `afterFirstScreen`
 * and go out once the dashboard says its first figures are on screen (`firstScreenShown`), or after
 * `FIRST_SCREEN_WAIT_MS` at the latest, so nothing waits on a first screen that fails.
 *
 * The first screen's own answers come in one request (`GET /api/v1/batch`), sent as the page's
 * script starts, before the first render: `expectFirstAnswers` keeps their promises, and the
 * components take them (`takeFirstAnswer`) instead of asking themselves. What no one took by the
 * time the first screen is shown is dropped: later views ask the API as usual.
 */
import type { Answer } from "./api.ts";

/** The longest a deferred request waits for the first screen. */
export const FIRST_SCREEN_WAIT_MS = 2_000;

let shown = false;
let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => {
  release = () => {
    shown = true;
    resolve();
  };
});
let timer: ReturnType<typeof setTimeout> | undefined;

let firstAnswers = new Map<string, Promise<Answer>>();

/** The first screen's answers, by URL, already asked for. */
export function expectFirstAnswers(answers: Map<string, Promise<Answer>>): void {
  firstAnswers = answers;
}

/** The answer for `url` asked for before the first render, once; undefined if there is none. */
export function takeFirstAnswer(url: string): Promise<Answer> | undefined {
  const answer = firstAnswers.get(url);
  firstAnswers.delete(url);
  return answer;
}

/** The first figures are on screen (or could not be): the requests that waited go out. */
export function firstScreenShown(): void {
  clearTimeout(timer);
  firstAnswers.clear();
  release();
}

/** Resolves at once after the first screen, else when it is shown or `FIRST_SCREEN_WAIT_MS` passed. */
export function afterFirstScreen(): Promise<void> {
  if (shown) return Promise.resolve();
  timer ??= setTimeout(release, FIRST_SCREEN_WAIT_MS);
  return released;
}
