import { describe, expect, it } from "vitest";
import { csvChunks, csvField, csvLine } from "./csv.ts";

describe("csv", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\r", '"cr\r"'],
    // Formulas a spreadsheet would run are written as text.
    ["=1+1", `"'=1+1"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ["+cmd|' /C calc'!A0", `"'+cmd|' /C calc'!A0"`],
    ["-2+3", `"'-2+3"`],
    ["@SUM(A1:A2)", `"'@SUM(A1:A2)"`],
    ["\t=1", `"'\t=1"`],
    ["\r=1", `"'\r=1"`],
    // Numbers, and text that is just a number, are not formulas.
    ["-12.5", "-12.5"],
    ["+3", "+3"],
    [-7, "-7"],
    ["a=b", "a=b"],
    [12.5, "12.5"],
    [-0.000001, "-0.000001"],
    [1234567.89, "1234567.89"],
    [true, "true"],
    [null, ""],
    [undefined, ""],
    ["", ""],
  ])("csvField(%j) = %j", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it("ends every line with CRLF", () => {
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });

  it("writes a header then rows from column-major data, in chunks", () => {
    const chunks = [
      ...csvChunks(
        ["d", "v"],
        [
          ["x", "y", "z"],
          [1, 2, 3],
        ],
        2,
      ),
    ];
    expect(chunks).toEqual(["d,v\r\n", "x,1\r\ny,2\r\n", "z,3\r\n"]);
  });
});
