/**
 * `npm start`'s alerting out of the box: a local outbox (an HTTP receiver that verifies each
 * delivery's Standard Webhooks signature, appends it to `.data/alerts-outbox.ndjson` and prints a
 * line), a webhook channel `outbox` pointing at it, and default rules — anomalies of revenue and
 * orders for the whole business and per region. Rules an admin has changed or deleted are left
 * alone: a default is created only when no rule has its id and it was never created before.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { newWebhookSecret } from "../../workers/ingest/signature.ts";

export const DEFAULT_RULES = [
  { id: "revenue-anomaly", name: "Revenue is unusual", metric: "revenue", per: null },
  { id: "orders-anomaly", name: "Orders are unusual", metric: "orders", per: null },
  { id: "region-revenue-anomaly", name: "A region's revenue is unusual", metric: "revenue", per: "region" },
  { id: "region-orders-anomaly", name: "A region's orders are unusual", metric: "orders", per: "region" },
] as const;

export interface Outbox {
  url: string;
  file: string;
  close(): Promise<void>;
}

/** Starts the outbox receiver; `onAlert` gets a one-line summary of each verified delivery. */
export async function startAlertOutbox(
  dataDir: string,
  secret: string,
  onAlert: (line: string) => void,
): Promise<Outbox> {
  const file = join(dataDir, "alerts-outbox.ndjson");
  const webhook = new Webhook(secret);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const alert = webhook.verify(body, headers) as {
          status: string;
          summary: string;
          alert_id: string;
          rule: { name: string };
        };
        appendFileSync(file, `${JSON.stringify({ received_at: new Date().toISOString(), ...alert })}\n`);
        onAlert(`alert ${alert.status}: ${alert.rule.name} — ${alert.summary} (${alert.alert_id})`);
        res.writeHead(204).end();
      } catch (error) {
        res
          .writeHead(400, { "content-type": "text/plain" })
          .end(`signature or body rejected: ${String(error)}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, file, close: () => new Promise((r) => server.close(() => r())) };
}

/** The outbox's signing secret, kept in the data folder across restarts. */
export function outboxSecret(dataDir: string): string {
  const path = join(dataDir, "alerts-outbox-secret");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const secret = newWebhookSecret();
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

/** Points the `outbox` channel at the receiver and creates the default rules once. */
export async function installDefaultAlerts(options: {
  baseUrl: string;
  adminToken: string;
  outbox: Outbox;
  secret: string;
  dataDir: string;
}) {
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${options.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const channel = await api("PUT", "/api/v1/alerts/channels/outbox", {
    type: "webhook",
    url: options.outbox.url,
    secret: options.secret,
  });
  if (!channel.ok) throw new Error(`creating the outbox channel: ${channel.status} ${await channel.text()}`);
  const marker = join(options.dataDir, "alerts-defaults-installed");
  if (existsSync(marker)) return;
  for (const rule of DEFAULT_RULES) {
    if ((await api("GET", `/api/v1/alerts/rules/${rule.id}`)).status !== 404) continue;
    const created = await api("PUT", `/api/v1/alerts/rules/${rule.id}`, {
      name: rule.name,
      metric: rule.metric,
      per: rule.per,
      condition: { type: "anomaly", detector: "seasonal", sensitivity: "medium" },
      channels: ["outbox"],
    });
    if (!created.ok) throw new Error(`creating rule ${rule.id}: ${created.status} ${await created.text()}`);
  }
  writeFileSync(marker, new Date().toISOString());
}
