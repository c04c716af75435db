CREATE TABLE "kpi_day_combo" (
	"dims" varchar(30) NOT NULL,
	"region" varchar(50) DEFAULT '' NOT NULL,
	"segment" varchar(50) DEFAULT '' NOT NULL,
	"category" varchar(100) DEFAULT '' NOT NULL,
	"day" date NOT NULL,
	"orders" integer DEFAULT 0 NOT NULL,
	"quantity" bigint DEFAULT 0 NOT NULL,
	"revenue" numeric(18, 2) DEFAULT '0' NOT NULL,
	"net_revenue" numeric(18, 2) DEFAULT '0' NOT NULL,
	"costs" numeric(18, 2) DEFAULT '0' NOT NULL,
	"unique_customers" integer DEFAULT 0 NOT NULL,
	"new_customers" integer DEFAULT 0 NOT NULL,
	"median_order_value" numeric,
	"p90_order_value" numeric,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kpi_day_combo_dims_region_segment_category_day_pk" PRIMARY KEY("dims","region","segment","category","day")
);
--> statement-breakpoint
CREATE TABLE "kpi_combo_dirty" (
	"dims" varchar(30) NOT NULL,
	"region" varchar(50) DEFAULT '' NOT NULL,
	"segment" varchar(50) DEFAULT '' NOT NULL,
	"category" varchar(100) DEFAULT '' NOT NULL,
	"day" date NOT NULL,
	CONSTRAINT "kpi_combo_dirty_dims_region_segment_category_day_pk" PRIMARY KEY("dims","region","segment","category","day")
);
--> statement-breakpoint
-- Combinations for the sales already there, computed as the pipeline keeps them.
INSERT INTO "kpi_day_combo" ("dims", "region", "segment", "category", "day", "orders", "quantity", "revenue", "net_revenue",
  "costs", "unique_customers", "new_customers", "median_order_value", "p90_order_value")
SELECT m.dims, m.region, m.segment, m.category, s.sale_date, count(*), sum(s.quantity), sum(s.quantity * s.unit_price),
       sum(s.quantity * s.unit_price - s.discount), sum(s.quantity * coalesce(s.unit_cost, 0)),
       count(DISTINCT s.customer_id), count(DISTINCT s.customer_id) FILTER (WHERE f.first_day = s.sale_date),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s.quantity * s.unit_price),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY s.quantity * s.unit_price)
  FROM silver_sales_clean s
  LEFT JOIN customer_first_sale f ON f.customer_id = s.customer_id
 CROSS JOIN LATERAL (VALUES ('region+segment', s.region, s.customer_segment, ''),
                            ('region+category', s.region, '', s.product_category),
                            ('segment+category', '', s.customer_segment, s.product_category),
                            ('region+segment+category', s.region, s.customer_segment, s.product_category))
       AS m(dims, region, segment, category)
 WHERE NOT s.is_deleted
 GROUP BY 1, 2, 3, 4, 5;
