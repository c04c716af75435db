-- When each dirty mark was last set. A batch that touches a slice already marked sets it again, so
-- the recomputation can tell whether a mark it read was set again since: it clears only a mark
-- still as it read it (the values it wrote are then exact), and it reads silver without the lock
-- batches take for their slices. A run also recomputes only the marks set before it started
-- (what batches mark meanwhile, they ask for).
ALTER TABLE "kpi_dirty" ADD COLUMN "marked_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL;
--> statement-breakpoint
ALTER TABLE "kpi_combo_dirty" ADD COLUMN "marked_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL;
