/** Vitest global setup: one alert receiver for the run; tests get its URL with `inject("alertReceiver")`. */
import type { TestProject } from "vitest/node";
import { startReceiver } from "./receiver.ts";

declare module "vitest" {
  export interface ProvidedContext {
    alertReceiver: string;
  }
}

export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide("alertReceiver", receiver.url);
  return () => receiver.close();
}
