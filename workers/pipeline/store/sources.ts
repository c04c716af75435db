/**
 * Source systems and their table mappings, as the admin routes manage them. Plain CRUD goes
 * through drizzle's query builder over the schema's tables; the list with its ledger counters
 * (subqueries over bronze, quarantine and dead letters) stays one hand-written statement.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { sourceMappings, sources } from "../../../drizzle/schema.ts";
import { type Db, orm, transaction } from "../../db/client.ts";

/** Creates a source with its sealed secret; false when the name is taken. */
export async function insertSource(db: Db, name: string, sealed: string): Promise<boolean> {
  const created = await orm(db)
    .insert(sources)
    .values({ name, secret: sealed })
    .onConflictDoNothing()
    .returning({ name: sources.name });
  return created.length > 0;
}

/**
 * Replaces a source's secret, keeping the old one valid for `graceSeconds`; returns until when, or
 * null when there is no such source.
 */
export async function rotateSourceSecret(
  db: Db,
  name: string,
  sealed: string,
  graceSeconds: number,
): Promise<Date | null> {
  const [rotated] = await orm(db)
    .update(sources)
    .set({
      previousSecret: sql`${sources.secret}`,
      secret: sealed,
      previousSecretExpiresAt: sql`now() + make_interval(secs => ${graceSeconds})`,
    })
    .where(eq(sources.name, name))
    .returning({ expires: sources.previousSecretExpiresAt });
  return rotated?.expires ?? null;
}

export type SourceRow = {
  name: string;
  created_at: Date;
  last_seen_at: Date | null;
  previous_secret_expires_at: Date | null;
  accepted: string | null;
  processed: string | null;
  duplicates: string | null;
  quarantined: string | null;
  unmapped: string | null;
  dead_lettered: string;
};

const LIST = `
  SELECT s.name, s.created_at, s.last_seen_at,
         CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret_expires_at END AS previous_secret_expires_at,
         st.accepted, st.processed, st.duplicates,
         -- Current, not cumulative: they fall when events are replayed.
         (SELECT count(*) FROM quarantine q WHERE q.source_system = s.name AND q.replayed_at IS NULL) AS quarantined,
         (SELECT count(*) FROM bronze_sales_events b WHERE b.source_system = s.name AND b.status = 'unmapped') AS unmapped,
         (SELECT coalesce(sum(d.events), 0) FROM dead_letters d WHERE d.source = s.name AND d.replayed_at IS NULL AND d.queue NOT LIKE 'alert%') AS dead_lettered
    FROM sources s LEFT JOIN source_stats st ON st.source = s.name`;

/** Every source with its counters, by name. */
export async function listSources(db: Db): Promise<SourceRow[]> {
  return (await db.query<SourceRow>(`${LIST} ORDER BY s.name`)).rows;
}

export async function readSource(db: Db, name: string): Promise<SourceRow | undefined> {
  return (await db.query<SourceRow>(`${LIST} WHERE s.name = $1`, [name])).rows[0];
}

export async function sourceExists(db: Db, name: string): Promise<boolean> {
  const found = await orm(db).select({ name: sources.name }).from(sources).where(eq(sources.name, name));
  return found.length > 0;
}

/** Deletes a source and its mappings; false when there was none. */
export async function deleteSource(db: Db, name: string): Promise<boolean> {
  return transaction(db, async (tx) => {
    await orm(tx).delete(sourceMappings).where(eq(sourceMappings.source, name));
    const deleted = await orm(tx)
      .delete(sources)
      .where(eq(sources.name, name))
      .returning({ name: sources.name });
    return deleted.length > 0;
  });
}

export interface MappingRow {
  entity: string;
  columns: Record<string, string>;
  defaults: Record<string, unknown>;
}

export async function readMappings(
  db: Db,
  source: string,
): Promise<(MappingRow & { source_table: string })[]> {
  return orm(db)
    .select({
      source_table: sourceMappings.sourceTable,
      entity: sourceMappings.entity,
      columns: sourceMappings.columns,
      defaults: sourceMappings.defaults,
    })
    .from(sourceMappings)
    .where(eq(sourceMappings.source, source))
    .orderBy(asc(sourceMappings.sourceTable));
}

export async function upsertMapping(
  db: Db,
  source: string,
  table: string,
  mapping: MappingRow,
): Promise<void> {
  const values = { entity: mapping.entity, columns: mapping.columns, defaults: mapping.defaults };
  await orm(db)
    .insert(sourceMappings)
    .values({ source, sourceTable: table, ...values })
    .onConflictDoUpdate({
      target: [sourceMappings.source, sourceMappings.sourceTable],
      set: { ...values, updatedAt: sql`now()` },
    });
}

/** Deletes one mapping; false when there was none. */
export async function deleteMapping(db: Db, source: string, table: string): Promise<boolean> {
  const deleted = await orm(db)
    .delete(sourceMappings)
    .where(and(eq(sourceMappings.source, source), eq(sourceMappings.sourceTable, table)))
    .returning({ table: sourceMappings.sourceTable });
  return deleted.length > 0;
}
