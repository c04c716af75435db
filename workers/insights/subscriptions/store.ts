/** Briefing subscriptions in Postgres (plain CRUD through drizzle's query builder). */
import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { briefingSubscriptions } from "../../../drizzle/insights.ts";
import { type Db, orm } from "../../db/client.ts";

export type Subscription = typeof briefingSubscriptions.$inferSelect;
export type SubscriptionInput = Pick<Subscription, "channelId" | "localTime" | "timezone" | "enabled">;

export async function listSubscriptions(db: Db): Promise<Subscription[]> {
  return orm(db).select().from(briefingSubscriptions).orderBy(asc(briefingSubscriptions.id));
}

export async function getSubscription(db: Db, id: string): Promise<Subscription | undefined> {
  const [row] = await orm(db).select().from(briefingSubscriptions).where(eq(briefingSubscriptions.id, id));
  return row;
}

export async function putSubscription(
  db: Db,
  id: string,
  input: SubscriptionInput,
  lastSentDate: string | null,
): Promise<{ subscription: Subscription; created: boolean }> {
  const existing = await getSubscription(db, id);
  const values = { ...input, lastSentDate };
  const [row] = await orm(db)
    .insert(briefingSubscriptions)
    .values({ id, ...values })
    .onConflictDoUpdate({
      target: briefingSubscriptions.id,
      set: { ...values, updatedAt: sql`now()` },
    })
    .returning();
  return { subscription: row!, created: !existing };
}

export async function deleteSubscription(db: Db, id: string): Promise<boolean> {
  const deleted = await orm(db)
    .delete(briefingSubscriptions)
    .where(eq(briefingSubscriptions.id, id))
    .returning({ id: briefingSubscriptions.id });
  return deleted.length > 0;
}

/** Records `date` as sent; false when another run already did (at most one briefing a day). */
export async function claimDay(db: Db, id: string, date: string): Promise<boolean> {
  const claimed = await orm(db)
    .update(briefingSubscriptions)
    .set({ lastSentDate: date })
    .where(
      and(
        eq(briefingSubscriptions.id, id),
        or(isNull(briefingSubscriptions.lastSentDate), lt(briefingSubscriptions.lastSentDate, date)),
      ),
    )
    .returning({ id: briefingSubscriptions.id });
  return claimed.length === 1;
}
