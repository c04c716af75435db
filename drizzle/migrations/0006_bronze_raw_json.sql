-- Bronze keeps each event as received: `json` stores the text (after validation) where `jsonb`
-- parses it into a binary tree, which nothing reads bronze for — replays take the whole event back,
-- and the occasional analyst query works on `json` with the same operators. Measured on a
-- 16,700-event batch: inserting the raw events from one JSON document takes ~120 ms into `json`
-- against ~185 ms into `jsonb`.
ALTER TABLE "bronze_sales_events" ALTER COLUMN "raw_payload" TYPE json USING "raw_payload"::json;
