-- Gold: the time dimension's calendar, the fact table and the members every key needs.

-- Fills dim_time for [from_date, to_date]; the fiscal year starts in `fiscal_start_month` and is
-- named after the calendar year it ends in (a fiscal year starting in July 2026 is FY2027).
-- Re-running it with another month restates the fiscal columns.
CREATE OR REPLACE FUNCTION fill_dim_time(from_date date, to_date date, fiscal_start_month integer)
RETURNS integer LANGUAGE sql AS $$
	WITH days AS (SELECT d::date AS d FROM generate_series(from_date, to_date, interval '1 day') AS d)
	INSERT INTO dim_time (time_key, date, year, quarter, month, week, iso_year, day_of_year, day_of_week,
	                      is_weekend, fiscal_year, fiscal_quarter)
	SELECT to_char(d, 'YYYYMMDD')::int, d, extract(year FROM d)::int, extract(quarter FROM d)::int,
	       extract(month FROM d)::int, extract(week FROM d)::int, extract(isoyear FROM d)::int,
	       extract(doy FROM d)::int, extract(isodow FROM d)::int, extract(isodow FROM d) >= 6,
	       extract(year FROM d)::int + CASE WHEN fiscal_start_month > 1 AND extract(month FROM d) >= fiscal_start_month THEN 1 ELSE 0 END,
	       ((extract(month FROM d)::int - fiscal_start_month + 12) % 12) / 3 + 1
	  FROM days
	ON CONFLICT (time_key) DO UPDATE SET fiscal_year = excluded.fiscal_year, fiscal_quarter = excluded.fiscal_quarter
	RETURNING 1
$$;
--> statement-breakpoint
SELECT count(*) FROM fill_dim_time('1990-01-01', '2060-12-31', 1);
--> statement-breakpoint
INSERT INTO dim_sales_rep (sales_rep_key, sales_rep_id, name) VALUES (0, '', 'No sales rep');
--> statement-breakpoint
-- The fact at the seed's grain. Differences from the seed, and why:
-- * partitioned by year of time_key (the seed partitions without saying how);
-- * `average_order_value` and `profit_margin_percent` are non-additive, so they are generated from
--   the additive columns of the same row instead of being written (and going stale);
-- * `record_count` counts the sales in the row (the seed's default of 1 is only true at insert);
-- * no `etl_load_id`/`created_at`: rows are corrected in place by every batch; bronze keeps lineage;
-- * foreign keys are left out: Postgres cannot check them cheaply on every incremental upsert into a
--   partitioned table, and the consumer always resolves keys from the dimensions first.
CREATE TABLE "fact_sales_summary" (
	"time_key" integer NOT NULL,
	"customer_key" integer NOT NULL,
	"product_key" integer NOT NULL,
	"region_key" integer NOT NULL,
	"sales_rep_key" integer NOT NULL,
	"quantity_sold" bigint NOT NULL,
	"gross_revenue" numeric(16, 2) NOT NULL,
	"net_revenue" numeric(16, 2) NOT NULL,
	"cost_of_goods" numeric(16, 2) NOT NULL,
	"customer_count" integer NOT NULL,
	"record_count" integer NOT NULL,
	"average_order_value" numeric(14, 2) GENERATED ALWAYS AS (CASE WHEN record_count > 0 THEN gross_revenue / record_count END) STORED,
	"profit_margin_percent" numeric(7, 2) GENERATED ALWAYS AS (CASE WHEN net_revenue <> 0 THEN (net_revenue - cost_of_goods) / net_revenue * 100 END) STORED,
	PRIMARY KEY ("time_key", "customer_key", "product_key", "region_key", "sales_rep_key")
) PARTITION BY RANGE ("time_key");
--> statement-breakpoint
CREATE TABLE "fact_sales_summary_default" PARTITION OF "fact_sales_summary" DEFAULT;
--> statement-breakpoint
DO $$
BEGIN
	FOR y IN 2015 .. 2035 LOOP
		EXECUTE format('CREATE TABLE fact_sales_summary_%s PARTITION OF fact_sales_summary FOR VALUES FROM (%s) TO (%s)',
			y, y * 10000, (y + 1) * 10000);
	END LOOP;
END $$;
--> statement-breakpoint
INSERT INTO exchange_rates (currency_code, rate_to_reporting) VALUES ('USD', 1);
