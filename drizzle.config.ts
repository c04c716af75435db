import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: [
    "./drizzle/schema.ts",
    "./drizzle/alerts.ts",
    "./drizzle/security.ts",
    "./drizzle/insights.ts",
    "./drizzle/combos.ts",
  ],
  out: "./drizzle/migrations",
});
