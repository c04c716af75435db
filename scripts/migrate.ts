/**
 * `npm run db:migrate` — applies the drizzle migrations to `DATABASE_URL` (idempotent).
 *
 *   DATABASE_URL=postgres://user:pass@host:5432/db npm run db:migrate
 */
import { migrationsFolder, runMigrations } from "./lib/migrate.ts";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error(
    "DATABASE_URL is not set. Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse npm run db:migrate",
  );
  process.exit(2);
}

const started = performance.now();
try {
  await runMigrations(databaseUrl);
  console.log(
    `Migrations from ${migrationsFolder} applied to ${redact(databaseUrl)} in ${Math.round(performance.now() - started)} ms.`,
  );
} catch (error) {
  console.error(
    `Migration failed on ${redact(databaseUrl)}: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "DATABASE_URL";
  }
}
