/**
 * "updated 12s ago": time since the figures last changed, by this browser's clock (the server's
 * `as_of` is shown on hover; comparing it to the local clock would show any clock skew as age).
 */
import { useNow } from "../hooks/useNow.ts";
import { formatAge, formatInstant } from "../lib/format.ts";

export function UpdatedAgo({ changedAt, asOf }: { changedAt: number | null; asOf: string | null }) {
  const now = useNow(1000);
  if (changedAt === null) {
    return (
      <span class="updated muted" data-testid="updated">
        waiting for figures…
      </span>
    );
  }
  return (
    <span
      class="updated muted"
      data-testid="updated"
      title={asOf ? `As of ${formatInstant(asOf)}` : undefined}
    >
      updated {formatAge(now - changedAt)} ago
    </span>
  );
}
