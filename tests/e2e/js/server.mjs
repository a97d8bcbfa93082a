// A real `stepwise serve` for the AWS SDK for JavaScript v3 tests, as
// tests/e2e/conftest.py starts one for boto3: 127.0.0.1, --port 0 (the URL it
// prints says which), a fresh --data directory, SIGTERM at the end (exit 0
// required) and the directory removed.
//
// The binary is $STEPWISE_BIN, else build/stepwise at the top of the tree.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.STEPWISE_BIN || resolve(HERE, "../../../build/stepwise");

// Clients sign with these; the server without --credentials accepts any.
export const CREDENTIALS = {
  accessKeyId: "AKIDSTEPWISETEST",
  secretAccessKey: "stepwise-test-secret-key",
};
export const REGION = "us-east-1";

// No user AWS configuration may leak into the tests.
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
for (const v of ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SFN"]) {
  delete process.env[v];
}

const URL_LINE = /listening on (http:\/\/\S+)/;

/** Starts `stepwise serve`; resolves to {url, host, port, data, clientConfig(), stop()}. */
export function startServer(args = [], { timeoutMs = 10000 } = {}) {
  const data = mkdtempSync(join(tmpdir(), "stepwise-e2e-js-"));
  const proc = spawn(BIN, ["serve", "--host", "127.0.0.1", "--port", "0", "--data", data, ...args],
                     { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise((res) => proc.on("exit", (code, signal) => res({ code, signal })));

  const started = new Promise((res, rej) => {
    const fail = (err) => {
      clearTimeout(timer);
      rej(err);
    };
    const timer = setTimeout(() => fail(new Error("stepwise serve did not start in time:\n" + output)),
                             timeoutMs);
    const onData = (chunk) => {
      output += chunk;   // keeps draining after the banner too, so the pipe never fills
      const m = URL_LINE.exec(output);
      if (m && output.includes("authentication:")) {
        clearTimeout(timer);
        res(m[1]);
      }
    };
    proc.stdout.setEncoding("utf8").on("data", onData);
    proc.stderr.setEncoding("utf8").on("data", onData);
    proc.on("error", (err) => fail(new Error(`cannot run ${BIN}: ${err.message}`)));
    exited.then(({ code, signal }) =>
      fail(new Error(`stepwise serve exited (${code ?? signal}) before listening:\n${output}`)));
  });

  const cleanup = () => rmSync(data, { recursive: true, force: true });
  return started.then(
    (url) => {
      const { hostname: host, port } = new URL(url);
      return {
        url, host, port: Number(port), data, proc,
        get output() { return output; },
        /** Common client configuration: endpoint, region, fake keys, no retries. */
        clientConfig(extra = {}) {
          return { endpoint: url, region: REGION, credentials: CREDENTIALS, maxAttempts: 1, ...extra };
        },
        /** SIGTERM; resolves to {code, signal, output} once it has exited. */
        async stop() {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
          const killer = setTimeout(() => proc.kill("SIGKILL"), 20000);
          const { code, signal } = await exited;
          clearTimeout(killer);
          cleanup();
          return { code, signal, output };
        },
      };
    },
    (err) => {
      proc.kill("SIGKILL");
      cleanup();
      throw err;
    });
}

/** Polls fn() every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function until(fn, { timeoutMs = 20000, everyMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Awaits promise, which must reject; returns the error. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, it succeeded");
}
