/**
 * A kept copy of the KPI bench's generated history (`BENCH_KPI_TEMPLATE=<database name>`): 5 M
 * sales take about a quarter of an hour to generate, a copy of a database a few seconds. The first
 * run generates the history into the named database and keeps it; later runs check that its
 * migration level, number of sales and last day of history still match, and create the bench's
 * database from it with `CREATE DATABASE … TEMPLATE` (else they generate it again).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { migrationsFolder, runMigrations } from "../../scripts/lib/migrate.ts";
import { generateDimensions, generateSales, rebuildRollups, verifySlices } from "./kpi-history.ts";

/** What the template holds, kept as the database's comment. */
interface TemplateLabel {
  sales: number;
  today: string;
}

/** A bare Postgres identifier: the name goes into CREATE/DROP DATABASE statements. */
export function templateName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(
      `BENCH_KPI_TEMPLATE must be a lower-case database name (letters, digits, _), got "${name}"`,
    );
  }
  return name;
}

/** The newest migration of `drizzle/migrations` (drizzle records its `when` as `created_at`). */
function latestMigration(): { count: number; when: number } {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
    entries: { when: number }[];
  };
  return { count: journal.entries.length, when: Math.max(...journal.entries.map((e) => e.when)) };
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Why the template cannot serve `sales` sales ending on `today` (undefined when it can). */
async function staleness(
  serverUrl: string,
  name: string,
  sales: number,
  today: string,
): Promise<string | undefined> {
  const comment = await admin(serverUrl, async (c) => {
    const found = await c.query<{ comment: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
      [name],
    );
    return found.rows[0];
  });
  if (!comment) return "it does not exist yet";
  let label: Partial<TemplateLabel> = {};
  try {
    label = JSON.parse(comment.comment ?? "{}") as Partial<TemplateLabel>;
  } catch {
    // An unlabelled database (an interrupted generation) is regenerated below.
  }
  if (label.today !== today) return `its history ends on ${label.today ?? "an unknown day"}, not ${today}`;
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, name) });
  await client.connect();
  try {
    const expected = latestMigration();
    const applied = await client.query<{ count: number; when: string | null }>(
      "SELECT count(*)::int AS count, max(created_at)::text AS when FROM drizzle.__drizzle_migrations",
    );
    const level = applied.rows[0]!;
    if (level.count !== expected.count || Number(level.when) !== expected.when) {
      return `its migration level (${level.count} applied) is not the code's (${expected.count})`;
    }
    const rows = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM silver_sales_clean WHERE NOT is_deleted",
    );
    if (rows.rows[0]!.n !== sales || label.sales !== sales) {
      return `it holds ${rows.rows[0]!.n.toLocaleString()} sales, not ${sales.toLocaleString()}`;
    }
  } catch (error) {
    return `it cannot be read (${(error as Error).message})`;
  } finally {
    await client.end();
  }
  return undefined;
}

/**
 * Makes sure database `name` on `serverUrl` holds the generated history of `sales` sales ending on
 * `today`, generating it when it is missing or stale. Returns the generation's time, or undefined
 * when the kept template was reused.
 */
export async function ensureTemplate(
  serverUrl: string,
  name: string,
  sales: number,
  today: string,
  log: (message: string) => void,
): Promise<{ generatedMs?: number }> {
  const why = await staleness(serverUrl, name, sales, today);
  if (!why) {
    log(`reusing template ${name} (${sales.toLocaleString()} sales up to ${today})`);
    return {};
  }
  log(`generating template ${name}: ${why}…`);
  const t0 = performance.now();
  await admin(serverUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = withDatabase(serverUrl, name);
  await runMigrations(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET work_mem = '256MB'");
    await generateDimensions(client, sales);
    await generateSales(client, 0, sales, today, (n) => log(`  ${n.toLocaleString()} sales`));
    await rebuildRollups(client);
    const differing = await verifySlices(client);
    if (differing.length > 0)
      throw new Error(`generated slices differ from the pipeline's: ${differing.join("; ")}`);
  } finally {
    await client.end();
  }
  // Labelled last: an interrupted generation leaves an unlabelled database, regenerated next time.
  const label: TemplateLabel = { sales, today };
  await admin(serverUrl, (c) => c.query(`COMMENT ON DATABASE ${name} IS '${JSON.stringify(label)}'`));
  return { generatedMs: performance.now() - t0 };
}
