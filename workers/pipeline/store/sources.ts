/**
 * Source systems and their table mappings, as the admin routes manage them: plain rows, one named
 * function per statement.
 */
import { type Db, transaction } from "../../db/client.ts";

/** Creates a source with its sealed secret; false when the name is taken. */
export async function insertSource(db: Db, name: string, sealed: string): Promise<boolean> {
  const created = await db.query(
    "INSERT INTO sources (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [name, sealed],
  );
  return (created.rowCount ?? 0) > 0;
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
  const rotated = await db.query<{ expires: Date }>(
    `UPDATE sources SET previous_secret = secret, secret = $2,
            previous_secret_expires_at = now() + make_interval(secs => $3)
      WHERE name = $1 RETURNING previous_secret_expires_at AS expires`,
    [name, sealed, graceSeconds],
  );
  return rotated.rows[0]?.expires ?? null;
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
  return ((await db.query("SELECT 1 FROM sources WHERE name = $1", [name])).rowCount ?? 0) > 0;
}

/** Deletes a source and its mappings; false when there was none. */
export async function deleteSource(db: Db, name: string): Promise<boolean> {
  return transaction(db, async (tx) => {
    await tx.query("DELETE FROM source_mappings WHERE source = $1", [name]);
    return ((await tx.query("DELETE FROM sources WHERE name = $1", [name])).rowCount ?? 0) > 0;
  });
}

export interface MappingRow {
  entity: string;
  columns: Record<string, string>;
  defaults: Record<string, unknown>;
}

export async function readMappings(db: Db, source: string) {
  return (
    await db.query<MappingRow & { source_table: string }>(
      "SELECT source_table, entity, columns, defaults FROM source_mappings WHERE source = $1 ORDER BY source_table",
      [source],
    )
  ).rows;
}

export async function upsertMapping(
  db: Db,
  source: string,
  table: string,
  mapping: MappingRow,
): Promise<void> {
  await db.query(
    `INSERT INTO source_mappings (source, source_table, entity, columns, defaults) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (source, source_table) DO UPDATE SET entity = excluded.entity, columns = excluded.columns,
       defaults = excluded.defaults, updated_at = now()`,
    [source, table, mapping.entity, JSON.stringify(mapping.columns), JSON.stringify(mapping.defaults)],
  );
}

/** Deletes one mapping; false when there was none. */
export async function deleteMapping(db: Db, source: string, table: string): Promise<boolean> {
  const deleted = await db.query("DELETE FROM source_mappings WHERE source = $1 AND source_table = $2", [
    source,
    table,
  ]);
  return (deleted.rowCount ?? 0) > 0;
}
