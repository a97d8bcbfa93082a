// A `node --test` reporter like the built-in "spec", except that a failure's
// error is printed under the failing test and nothing follows node's summary
// (the "ℹ tests N / pass N / fail N ..." lines), which therefore always ends
// the output. No dependencies: node's reporter API only.
import { inspect } from "node:util";

const indent = (n) => "  ".repeat(n);

function ms(data) {
  const d = data.details?.duration_ms;
  return d === undefined ? "" : ` (${d.toFixed(1)}ms)`;
}

function describeError(err, nesting) {
  // Errors from test files arrive wrapped: the test's own error is the cause.
  const e = err?.code === "ERR_TEST_FAILURE" && err.cause !== undefined ? err.cause : err;
  const text = e instanceof Error || typeof e !== "object" ? inspect(e) : inspect(e, { depth: 4 });
  return text.split("\n").map((l) => indent(nesting + 1) + l).join("\n") + "\n";
}

export default async function* reporter(source) {
  for await (const { type, data } of source) {
    switch (type) {
      case "test:pass":
        if (data.details?.type === "suite") break;
        yield `${indent(data.nesting)}${data.skip ? "﹣" : data.todo ? "…" : "✔"} ${data.name}${ms(data)}${
          data.skip ? " # SKIP" : data.todo ? " # TODO" : ""}\n`;
        break;
      case "test:fail":
        yield `${indent(data.nesting)}✖ ${data.name}${ms(data)}${data.file ? `  [${data.file}]` : ""}\n`;
        yield describeError(data.details?.error, data.nesting);
        break;
      case "test:stdout":
      case "test:stderr":
        yield data.message;
        break;
      case "test:diagnostic":
        yield `${indent(data.nesting)}ℹ ${data.message}\n`;
        break;
      default:
        break;
    }
  }
}
