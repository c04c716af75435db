import { Client, neonConfig } from "@neondatabase/serverless";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { FrontendFramer, type PgProxy, startPgProxy } from "./pg-proxy.ts";

function startup(): Buffer {
  const params = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, params]);
}
function message(type: string, payload = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(4 + payload.length, 1);
  return Buffer.concat([head, payload]);
}

describe("FrontendFramer", () => {
  it("spots Terminate only at a message boundary, across arbitrary chunking", () => {
    // A query whose text contains an 'X' must not end the connection.
    const stream = Buffer.concat([startup(), message("Q", Buffer.from("SELECT 'X'\0")), message("X")]);
    for (let cut = 1; cut < stream.length; cut++) {
      const framer = new FrontendFramer();
      const first = framer.push(stream.subarray(0, cut));
      const second = framer.push(stream.subarray(cut));
      expect(first).toBe(false);
      expect(second).toBe(true);
    }
  });

  it("does not treat a query as Terminate", () => {
    const framer = new FrontendFramer();
    expect(framer.push(Buffer.concat([startup(), message("Q", Buffer.from("X\0"))]))).toBe(false);
  });
});

describe("FrontendFramer.terminateAt", () => {
  it("says where the Terminate starts in the chunk that completed it", () => {
    const query = message("Q", Buffer.from("SELECT 1\0"));
    const framer = new FrontendFramer();
    framer.push(startup());
    expect(framer.push(Buffer.concat([query, message("X")]))).toBe(true);
    expect(framer.terminateAt).toBe(query.length);
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;

// Pooling is for a Postgres server only (PGlite serves every connection from one backend).
describe.skipIf(!serverUrl)("a pooled proxy (Postgres server)", () => {
  async function session(proxy: PgProxy, work: (c: Client) => Promise<void>) {
    neonConfig.webSocketConstructor = WebSocket;
    neonConfig.wsProxy = (host, port) => `${proxy.address}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  }
  const pid = async (c: Client) => (await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;

  it("hands the next client the same backend, reset: no open transaction, no session state", async () => {
    const proxy = await startPgProxy({ pool: true });
    const table = `proxy_probe_${process.pid}`;
    try {
      let first = 0;
      await session(proxy, async (c) => {
        await c.query(`CREATE TABLE IF NOT EXISTS ${table} (x int)`);
        first = await pid(c);
        await c.query("SET application_name = 'left-behind'");
        await c.query("BEGIN");
        await c.query(`INSERT INTO ${table} VALUES (1)`);
        // Ends without COMMIT: the proxy must not hand this transaction on.
      });
      await session(proxy, async (c) => {
        expect(await pid(c)).toBe(first);
        const state = await c.query(
          `SELECT current_setting('application_name') AS app, (SELECT count(*)::int FROM ${table}) AS rows`,
        );
        // The session's settings are back to what the client's startup asked for.
        expect(state.rows[0].app).not.toBe("left-behind");
        expect(state.rows[0].rows).toBe(0);
        await c.query(`DROP TABLE ${table}`);
      });
    } finally {
      await proxy.close();
    }
  });

  it("does not pool when asked not to: every client gets a backend of its own", async () => {
    const proxy = await startPgProxy();
    try {
      let first = 0;
      await session(proxy, async (c) => {
        first = await pid(c);
      });
      await session(proxy, async (c) => {
        expect(await pid(c)).not.toBe(first);
      });
    } finally {
      await proxy.close();
    }
  });
});
