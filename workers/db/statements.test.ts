/**
 * A transaction's statements sent together: what a parameter becomes as a literal is what Postgres
 * reads from it as a parameter; a failure anywhere in a message fails the transaction with its own
 * error; and what cannot be written as a literal still gets Postgres' answer for the value.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transaction, withDb } from "./client.ts";
import { Statements, write } from "./statements.ts";

/** Text without NUL (which Postgres refuses in any text value) and without lone surrogates. */
const text = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\u0000"));

describe("statements sent together", () => {
  it("reads every parameter as it reads the same value sent as a parameter", async () => {
    await withDb(env, async (db) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.option(text, { nil: null }), { maxLength: 6 }),
          fc.array(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), {
            maxLength: 4,
          }),
          text,
          fc.jsonValue({ maxDepth: 2 }),
          async (strings, numbers, single, json) => {
            const sql = "SELECT $1::text[] AS s, $2::float8[] AS n, $3::text AS t, $4::jsonb AS j";
            const params = [strings, numbers, single, JSON.stringify(json)];
            const alone = await db.query(sql, params);
            const together = await transaction(db, (tx) =>
              Promise.all([tx.query(sql, params), tx.query("SELECT 1 AS one")]),
            );
            expect(together[0].rows).toEqual(alone.rows);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  it("sends the statements issued together in one message", async () => {
    await withDb(env, async (db) => {
      // statement_timestamp() is when the server received the message the statement came in.
      const sql = "SELECT statement_timestamp()::text AS at, pg_sleep(0.02)::text AS slept";
      const [a, b] = await transaction(db, (tx) => Promise.all([tx.query(sql), tx.query(sql)]));
      expect(b.rows[0].at).toBe(a.rows[0].at);
      const apart = await transaction(db, async (tx) => [await tx.query(sql), await tx.query(sql)]);
      expect(apart[1]!.rows[0].at).not.toBe(apart[0]!.rows[0].at);
    });
  });

  it("leaves a $n inside a literal, a quoted name or a comment as written", async () => {
    await withDb(env, async (db) => {
      const sql = `SELECT $1::text AS "a$2", '$2 isn''t' AS b -- $2 here is a comment
        , /* nor $2 */ $2::int AS c`;
      const params = ["line one\nline two -- not a comment", 7];
      const [together] = await transaction(db, (tx) =>
        Promise.all([tx.query(sql, params), tx.query("SELECT 1 AS one")]),
      );
      expect(together.rows).toEqual([{ a$2: "line one\nline two -- not a comment", b: "$2 isn't", c: 7 }]);
    });
  });

  it("fails the transaction with the refused statement's own error and keeps none of its writes", async () => {
    const table = `statements_${crypto.randomUUID().replace(/-/g, "")}`;
    await withDb(env, async (db) => {
      await db.query(`CREATE TABLE ${table} (n int)`);
      try {
        const failed = await transaction(db, async (tx) => {
          await write(tx, `INSERT INTO ${table} VALUES ($1)`, [1]);
          await write(tx, `INSERT INTO ${table} VALUES ($1)`, ["99999999999"]); // past int
          return tx.query(`SELECT count(*)::int AS n FROM ${table}`);
        }).catch((error: unknown) => error);
        expect((failed as { code?: string }).code).toBe("22003"); // numeric value out of range
        const kept = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        expect(kept.rows[0]!.n).toBe(0);
        // The connection is usable afterwards: the transaction was rolled back, not left open.
        const after = await transaction(db, async (tx) => {
          await write(tx, `INSERT INTO ${table} VALUES ($1)`, [2]);
          return (await tx.query<{ n: number }>(`SELECT sum(n)::int AS n FROM ${table}`)).rows[0]!.n;
        });
        expect(after).toBe(2);
      } finally {
        await db.query(`DROP TABLE ${table}`);
      }
    });
  });

  it("sends writes queued outside a transaction when flushed, in one commit with a read", async () => {
    const table = `statements_${crypto.randomUUID().replace(/-/g, "")}`;
    await withDb(env, async (db) => {
      await db.query(`CREATE TABLE ${table} (n int)`);
      try {
        const alone = new Statements(db);
        await write(alone, `INSERT INTO ${table} VALUES ($1)`, [1]);
        await alone.flush();
        const together = new Statements(db);
        await write(together, `INSERT INTO ${table} VALUES ($1)`, [2]);
        const read = await together.query<{ n: number }>(`SELECT sum(n)::int AS n FROM ${table}`);
        await together.flush(); // nothing left: resolves at once
        expect(read.rows[0]!.n).toBe(3);
      } finally {
        await db.query(`DROP TABLE ${table}`);
      }
    });
  });

  it("sends a value with a NUL as a parameter, so Postgres refuses it as data", async () => {
    await withDb(env, async (db) => {
      const failed = await transaction(db, async (tx) => {
        await write(tx, "SELECT $1::text", ["a\u0000b"]);
        return tx.query("SELECT 1");
      }).catch((error: unknown) => error);
      expect((failed as { code?: string }).code).toMatch(/^22/);
    });
  });
});
