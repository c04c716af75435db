/**
 * KpiRoom: the live cache and fan-out of the dashboard. SQLite-backed and using the WebSocket
 * Hibernation API, so an idle room with thousands of open dashboards costs nothing.
 *
 * The consumer sends the *absolute* values of the days its batch touched (never increments), and
 * the room keeps, per day, the values with the latest database write time: a redelivered or
 * reordered update can never double-count or roll a tile back.
 */
import { DurableObject } from "cloudflare:workers";
import { withDb } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { type DayTotals, readDailyTotals } from "../pipeline/store/rollups.ts";
import { clientMessage, emptyTiles, type ServerMessage, type Tiles } from "./protocol.ts";

interface Attachment {
  connectedAt: string;
}

const HOUR_MS = 3_600_000;

export class KpiRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS daily (
        day TEXT PRIMARY KEY, revenue REAL NOT NULL, net_revenue REAL NOT NULL,
        orders INTEGER NOT NULL, quantity INTEGER NOT NULL, updated_at TEXT NOT NULL)`);
      this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    });
  }

  /** RPC from the consumer (and the reconciliation): absolute values of changed days. */
  async applyDaily(days: DayTotals[]): Promise<{ applied: number; seq: number }> {
    const today = this.today();
    let applied = 0;
    let todayChanged = false;
    for (const d of days) {
      const cursor = this.sql.exec(
        `INSERT INTO daily (day, revenue, net_revenue, orders, quantity, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (day) DO UPDATE SET revenue = excluded.revenue, net_revenue = excluded.net_revenue,
           orders = excluded.orders, quantity = excluded.quantity, updated_at = excluded.updated_at
         WHERE excluded.updated_at > daily.updated_at`,
        d.day,
        d.revenue,
        d.netRevenue,
        d.orders,
        d.quantity,
        d.updatedAt,
      );
      if (cursor.rowsWritten > 0) {
        applied++;
        if (d.day === today) todayChanged = true;
      }
    }
    let seq = this.seq();
    if (todayChanged) {
      seq = this.nextSeq();
      this.broadcast({
        type: "delta",
        seq,
        date: today,
        tiles: this.tilesFor(today),
        as_of: new Date().toISOString(),
      });
    }
    await this.ensureAlarm();
    return { applied, seq };
  }

  /** The tiles of `day` as the room holds them (tests and the reconciliation read this). */
  async tiles(day: string = this.today()): Promise<Tiles> {
    return this.tilesFor(day);
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    await this.hydrateIfEmpty();
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ connectedAt: new Date().toISOString() } satisfies Attachment);
    this.send(server, this.snapshot());
    await this.ensureAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message));
    } catch {
      this.send(ws, { type: "error", code: "malformed_message", message: "Messages must be JSON." });
      return;
    }
    const result = clientMessage.safeParse(parsed);
    if (!result.success) {
      this.send(ws, {
        type: "error",
        code: "invalid_message",
        message: `Expected {"type":"resync"} or {"type":"ping"}: ${result.error.issues[0]?.message ?? "invalid"}`,
      });
      return;
    }
    if (result.data.type === "resync") this.send(ws, this.snapshot());
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Echo the close so the client's close handshake completes (1005/1006 may not be sent back).
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    closeQuietly(ws, 1011);
  }

  /** Hourly: when the reporting day rolls over, dashboards get the new day's (empty) tiles. */
  override async alarm(): Promise<void> {
    const today = this.today();
    const last = this.meta("announced_day");
    if (last !== today && this.ctx.getWebSockets().length > 0) {
      this.broadcast({ ...this.snapshot(), type: "delta", seq: this.nextSeq() });
    }
    this.setMeta("announced_day", today);
    if (this.ctx.getWebSockets().length > 0) await this.ctx.storage.setAlarm(nextHour());
  }

  private async ensureAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nextHour());
    if (!this.meta("announced_day")) this.setMeta("announced_day", this.today());
  }

  /** A room that starts with no data (new or wiped) loads the recent rollup once from Postgres. */
  private async hydrateIfEmpty(): Promise<void> {
    if (this.meta("hydrated")) return;
    const today = this.today();
    const from = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    try {
      const days = await withDb(this.env, (db) => readDailyTotals(db, from, today));
      await this.applyDaily(days);
      this.setMeta("hydrated", new Date().toISOString());
    } catch (error) {
      console.error(JSON.stringify({ msg: "room hydration failed", error: String(error) }));
    }
  }

  private snapshot(): Extract<ServerMessage, { type: "snapshot" }> {
    const today = this.today();
    return {
      type: "snapshot",
      seq: this.seq(),
      date: today,
      tiles: this.tilesFor(today),
      as_of: new Date().toISOString(),
    };
  }

  private tilesFor(day: string): Tiles {
    const row = this.sql
      .exec<{ revenue: number; net_revenue: number; orders: number; quantity: number }>(
        "SELECT revenue, net_revenue, orders, quantity FROM daily WHERE day = ?",
        day,
      )
      .toArray()[0];
    return row ? { ...row } : { ...emptyTiles };
  }

  private broadcast(message: ServerMessage): void {
    const frame = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(frame);
      } catch {
        // One broken socket must not stop the broadcast to the others.
        closeQuietly(ws, 1011);
      }
    }
  }

  private send(ws: WebSocket, message: ServerMessage): void {
    try {
      ws.send(JSON.stringify(message));
    } catch {
      closeQuietly(ws, 1011);
    }
  }

  private today(): string {
    return dayIn(Date.now(), this.env.REPORTING_TZ);
  }

  private seq(): number {
    return Number(this.meta("seq") ?? 0);
  }

  private nextSeq(): number {
    const next = this.seq() + 1;
    this.setMeta("seq", String(next));
    return next;
  }

  private meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }
}

function nextHour(): number {
  return Math.ceil((Date.now() + 1) / HOUR_MS) * HOUR_MS;
}

function closeQuietly(ws: WebSocket, code: number): void {
  try {
    ws.close(code);
  } catch {
    // already closed
  }
}
