/**
 * The ledger of `GET /api/v1/pipeline/health` for one source, and a wait for it to balance: every
 * accepted event stored in bronze, quarantined, unmapped or dead-lettered, none still in flight.
 * Web-standard APIs only (runs in workerd and in Node).
 */
export interface Ledger {
  accepted: number;
  processed: number;
  duplicates: number;
  quarantined: number;
  unmapped: number;
  dead_lettered: number;
  in_flight: number;
}

const EMPTY: Ledger = {
  accepted: 0,
  processed: 0,
  duplicates: 0,
  quarantined: 0,
  unmapped: 0,
  dead_lettered: 0,
  in_flight: 0,
};

/** A ledger of the given counts, every other one 0. */
export function ledgerOf(counts: Partial<Ledger>): Ledger {
  return { ...EMPTY, ...counts };
}

export async function readLedger(health: () => Promise<Response>, source: string): Promise<Ledger> {
  const response = await health();
  if (response.status !== 200) throw new Error(`pipeline/health answered ${response.status}`);
  const body = (await response.json()) as { sources: ({ name: string } & Ledger)[] };
  const row = body.sources.find((s) => s.name === source);
  if (!row) return { ...EMPTY };
  const { name: _name, ...rest } = row as { name: string } & Ledger & Record<string, unknown>;
  return {
    accepted: row.accepted,
    processed: row.processed,
    duplicates: row.duplicates,
    quarantined: row.quarantined,
    unmapped: row.unmapped,
    dead_lettered: row.dead_lettered,
    in_flight: rest.in_flight as number,
  };
}

/**
 * Polls until `accepted` reaches `expected` and nothing is in flight (or the time is up), and
 * returns the ledger then, for the test to assert on.
 */
export async function settledLedger(
  health: () => Promise<Response>,
  source: string,
  expected: number,
  ms = 15_000,
): Promise<Ledger> {
  const until = Date.now() + ms;
  for (;;) {
    const ledger = await readLedger(health, source);
    if ((ledger.accepted === expected && ledger.in_flight === 0) || Date.now() > until) return ledger;
    await new Promise((r) => setTimeout(r, 100));
  }
}
