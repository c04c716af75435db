/** The HTTP surface: one Hono app, one error shape. */
import { Hono } from "hono";
import { alertsApi } from "../alerts/api.ts";
import { askApi } from "../ask/route.ts";
import { ingest } from "../ingest/route.ts";
import { sourcesApi } from "../ingest/sources-api.ts";
import { insightsApi } from "../insights/route.ts";
import { subscriptionsApi } from "../insights/subscriptions/api.ts";
import { batchApi } from "../kpi/batch-api.ts";
import { kpiApi } from "../kpi/model-api.ts";
import { kpis } from "../kpi/summary-api.ts";
import { live } from "../live/route.ts";
import { pipelineApi } from "../pipeline/health-api.ts";
import { notFound, onError } from "./errors.ts";
import { securityHeaders } from "./headers.ts";
import { health } from "./health.ts";
import { ipRateLimit } from "./rate-limit.ts";
import { session } from "./session.ts";

export const app = new Hono<{ Bindings: Env }>();

app.use("*", securityHeaders);
app.use("/api/*", ipRateLimit);

app.route("/", ingest);
app.route("/", kpis);
app.route("/", kpiApi);
app.route("/", batchApi);
app.route("/", live);
app.route("/", session);
app.route("/", sourcesApi);
app.route("/", pipelineApi);
app.route("/", alertsApi);
app.route("/", askApi);
app.route("/", insightsApi);
app.route("/", subscriptionsApi);
app.get("/api/v1/health", health);
app.notFound(notFound);
app.onError(onError);
