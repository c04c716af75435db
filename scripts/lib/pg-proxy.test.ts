import { describe, expect, it } from "vitest";
import { FrontendFramer } from "./pg-proxy.ts";

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
