/**
 * Rules, channels, incidents and delivery attempts in Postgres (drizzle's query builder: plain
 * CRUD). Every function takes an open connection, so a caller decides the transaction.
 */
import { and, asc, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import { alertChannels, alertDeliveries, alertIncidents, alertRules } from "../../drizzle/alerts.ts";
import { type Db, orm } from "../db/client.ts";
import { type Channel, type ChannelConfig, channelInputSchema, type Rule, ruleInputSchema } from "./rules.ts";

function toRule(row: typeof alertRules.$inferSelect): Rule {
  // Stored rules were validated on the way in; parsing again fills defaults added since.
  return { ...ruleInputSchema.parse(row.definition), id: row.id, version: row.version };
}

export async function listRules(db: Db): Promise<Rule[]> {
  return (await orm(db).select().from(alertRules).orderBy(asc(alertRules.id))).map(toRule);
}

export async function getRule(db: Db, id: string): Promise<Rule | undefined> {
  const [row] = await orm(db).select().from(alertRules).where(eq(alertRules.id, id));
  return row ? toRule(row) : undefined;
}

/** Creates or replaces a rule; says whether it was new. */
export async function putRule(
  db: Db,
  id: string,
  definition: Omit<Rule, "id" | "version">,
): Promise<{ rule: Rule; created: boolean }> {
  const [row] = await orm(db)
    .insert(alertRules)
    .values({ id, definition, enabled: definition.enabled })
    .onConflictDoUpdate({
      target: alertRules.id,
      set: {
        definition,
        enabled: definition.enabled,
        version: sql`${alertRules.version} + 1`,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return { rule: toRule(row!), created: row!.version === 1 };
}

export async function deleteRule(db: Db, id: string): Promise<boolean> {
  return (await orm(db).delete(alertRules).where(eq(alertRules.id, id)).returning()).length > 0;
}

function toChannel(row: typeof alertChannels.$inferSelect): Channel {
  return {
    id: row.id,
    config: channelInputSchema.parse({ ...row.config, type: row.type }) as ChannelConfig,
    secret: row.secret,
    disabledAt: row.disabledAt?.toISOString() ?? null,
  };
}

export type ChannelRow = Channel;

export async function listChannels(db: Db, ids?: readonly string[]): Promise<Channel[]> {
  const rows = await orm(db).select().from(alertChannels).orderBy(asc(alertChannels.id));
  return rows.filter((r) => !ids || ids.includes(r.id)).map(toChannel);
}

export async function getChannel(db: Db, id: string): Promise<Channel | undefined> {
  const [row] = await orm(db).select().from(alertChannels).where(eq(alertChannels.id, id));
  return row ? toChannel(row) : undefined;
}

/** Creates or replaces a channel (re-enabling one a 410 disabled). */
export async function putChannel(
  db: Db,
  id: string,
  config: ChannelConfig,
  secret: string | null,
): Promise<{ channel: Channel; created: boolean }> {
  const { type, ...rest } = config;
  const values = {
    type,
    config: rest as Record<string, unknown>,
    secret,
    disabledAt: null,
    disabledReason: null,
  };
  const existing = await getChannel(db, id);
  const [row] = await orm(db)
    .insert(alertChannels)
    .values({ id, ...values })
    .onConflictDoUpdate({ target: alertChannels.id, set: { ...values, updatedAt: sql`now()` } })
    .returning();
  return { channel: toChannel(row!), created: !existing };
}

export async function deleteChannel(db: Db, id: string): Promise<boolean> {
  return (await orm(db).delete(alertChannels).where(eq(alertChannels.id, id)).returning()).length > 0;
}

export async function disableChannel(db: Db, id: string, reason: string): Promise<void> {
  await orm(db)
    .update(alertChannels)
    .set({ disabledAt: sql`now()`, disabledReason: reason })
    .where(eq(alertChannels.id, id));
}

export type DeliveryAttempt = Omit<typeof alertDeliveries.$inferInsert, "id" | "createdAt">;

export async function logAttempt(db: Db, attempt: DeliveryAttempt): Promise<void> {
  await orm(db).insert(alertDeliveries).values(attempt);
}

export async function listDeliveries(
  db: Db,
  filter: { alertId?: string; channelId?: string; limit: number },
): Promise<(typeof alertDeliveries.$inferSelect)[]> {
  const conditions: SQL[] = [];
  if (filter.alertId) conditions.push(eq(alertDeliveries.alertId, filter.alertId));
  if (filter.channelId) conditions.push(eq(alertDeliveries.channelId, filter.channelId));
  return orm(db)
    .select()
    .from(alertDeliveries)
    .where(and(...conditions))
    .orderBy(desc(alertDeliveries.id))
    .limit(filter.limit);
}

export type IncidentRow = typeof alertIncidents.$inferSelect;

export async function listIncidents(
  db: Db,
  filter: { status?: string; from?: Date; to?: Date; limit: number },
): Promise<IncidentRow[]> {
  const conditions: SQL[] = [];
  if (filter.status) conditions.push(eq(alertIncidents.status, filter.status));
  if (filter.from) conditions.push(gte(alertIncidents.startedAt, filter.from));
  if (filter.to) conditions.push(lte(alertIncidents.startedAt, filter.to));
  return orm(db)
    .select()
    .from(alertIncidents)
    .where(and(...conditions))
    .orderBy(desc(alertIncidents.startedAt))
    .limit(filter.limit);
}

export async function acknowledgeIncident(db: Db, alertId: string): Promise<IncidentRow | undefined> {
  const [row] = await orm(db)
    .update(alertIncidents)
    .set({ acknowledgedAt: sql`coalesce(${alertIncidents.acknowledgedAt}, now())` })
    .where(eq(alertIncidents.alertId, alertId))
    .returning();
  return row;
}
