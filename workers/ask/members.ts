/**
 * The members a question can name, read from the dimension tables (regions, the segments customers
 * have had, product categories, products by name, sales reps by id and name), and the vocabulary
 * built from them.
 *
 * Building it reads every product and customer segment, so it is kept per database in the isolate
 * and rebuilt when a product, region or sales rep is added (the tables' highest keys, one index
 * lookup each) or after five minutes: a rename keeps its key, and new customers arrive all the
 * time while a new segment name is rare, so segments wait for the five minutes.
 */
import type { Db } from "../db/client.ts";
import { buildVocabulary, type Member, type Vocabulary } from "./vocabulary.ts";

const MAX_AGE_MS = 5 * 60_000;

interface Catalogue {
  stamp: string;
  loadedAt: number;
  members: Member[];
  vocabulary: Vocabulary;
}

const catalogues = new Map<string, Catalogue>();

async function readStamp(db: Db): Promise<string> {
  const result = await db.query<{ stamp: string }>(
    `SELECT concat_ws('/', (SELECT max(product_key) FROM dim_product), (SELECT max(region_key) FROM dim_region),
                           (SELECT max(sales_rep_key) FROM dim_sales_rep)) AS stamp`,
  );
  return result.rows[0]?.stamp ?? "";
}

async function readMembers(db: Db): Promise<Member[]> {
  const result = await db.query<Member>(
    `SELECT 'region' AS dimension, region_code AS member, region_code AS label FROM dim_region
     UNION ALL SELECT 'region', region_code, region_name FROM dim_region WHERE region_name <> region_code
     UNION ALL SELECT DISTINCT 'segment', customer_segment, customer_segment FROM dim_customer
     UNION ALL SELECT DISTINCT 'category', category, category FROM dim_product
     UNION ALL SELECT 'product', product_id, product_name FROM dim_product
     UNION ALL SELECT 'sales_rep', sales_rep_id, name FROM dim_sales_rep WHERE sales_rep_id <> ''`,
  );
  return result.rows;
}

/** The members and vocabulary of the database `key` names, current as described above. */
export async function loadCatalogue(db: Db, key: string): Promise<Pick<Catalogue, "members" | "vocabulary">> {
  const stamp = await readStamp(db);
  const cached = catalogues.get(key);
  if (cached && cached.stamp === stamp && Date.now() - cached.loadedAt < MAX_AGE_MS) return cached;
  const members = await readMembers(db);
  const fresh = { stamp, loadedAt: Date.now(), members, vocabulary: buildVocabulary(members) };
  catalogues.set(key, fresh);
  return fresh;
}

/** A readable name for a filter value (a product's name rather than its id). */
export function labelOf(members: readonly Member[], dimension: string, member: string): string {
  return members.find((m) => m.dimension === dimension && m.member === member)?.label ?? member;
}
