/**
 * "Alert firing: …" across the top of the dashboard while any incident fires, with a link down to
 * the alerts panel. Unacknowledged ones make it loud (role="alert"); once every firing incident is
 * acknowledged it stays, quieter, until they resolve.
 */
import { bannerText, type Incident } from "../lib/alerts.ts";

export function AlertBanner({ firing }: { firing: readonly Incident[] }) {
  const text = bannerText(firing);
  if (text === null) return null;
  const unacknowledged = firing.filter((i) => i.acknowledged_at === null).length;
  const first = firing[0]!;
  return (
    <div
      class="alert-banner"
      role={unacknowledged > 0 ? "alert" : "status"}
      data-testid="alert-banner"
      data-firing={firing.length}
      data-acknowledged={unacknowledged === 0 ? "true" : "false"}
    >
      <span class="alert-banner__dot" aria-hidden="true" />
      <span class="alert-banner__text">
        <strong>{text}</strong>
        {first.detail.summary && <span class="alert-banner__summary"> — {first.detail.summary}</span>}
      </span>
      <a class="link alert-banner__link" href="#alerts">
        {unacknowledged > 0 ? "See and acknowledge" : "See alerts"}
      </a>
    </div>
  );
}
