/**
 * The incidents of the last days, polled while the tab is visible (every `POLL_MS`), and
 * acknowledging one. Polled rather than pushed: the incident record is written by the delivery
 * queue's consumer after the live room decides, so the list is read where it is true.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { acknowledgeAlert, fetchAlerts, type Incident } from "../lib/alerts.ts";
import { ApiError } from "../lib/api.ts";

export const POLL_MS = 5_000;
const DAYS = 7;

export interface Alerts {
  incidents: Incident[] | null;
  error: string | null;
  acknowledge(alertId: string): Promise<void>;
  /** The last acknowledge error, by alert id. */
  ackErrors: Record<string, string>;
}

export function useAlerts(): Alerts {
  const [incidents, setIncidents] = useState<Incident[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ackErrors, setAckErrors] = useState<Record<string, string>>({});
  const controller = useRef<AbortController | null>(null);

  const load = useCallback(() => {
    controller.current?.abort();
    const current = new AbortController();
    controller.current = current;
    fetchAlerts(DAYS, current.signal).then(
      (list) => {
        setIncidents(list);
        setError(null);
      },
      (e: unknown) => {
        if (current.signal.aborted) return;
        // A viewer signed out is handled by the dashboard's own calls; say nothing twice.
        if (e instanceof ApiError && e.unauthorized) return;
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  }, []);

  useEffect(() => {
    load();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") load();
    }, POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === "visible") load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
      controller.current?.abort();
    };
  }, [load]);

  const acknowledge = useCallback(async (alertId: string) => {
    try {
      const at = await acknowledgeAlert(alertId);
      setIncidents(
        (list) => list?.map((i) => (i.alert_id === alertId ? { ...i, acknowledged_at: at } : i)) ?? list,
      );
      setAckErrors(({ [alertId]: _, ...rest }) => rest);
    } catch (e) {
      setAckErrors((errors) => ({ ...errors, [alertId]: e instanceof Error ? e.message : String(e) }));
    }
  }, []);

  return { incidents, error, acknowledge, ackErrors };
}
