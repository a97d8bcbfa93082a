#!/bin/sh
# Runs the end-to-end tests with the AWS SDK for JavaScript v3 against a real
# `stepwise serve` (node's built-in test runner). Needs node and npm; the SDK
# is installed from package-lock.json into node_modules/ when missing or stale.
#   tests/e2e/js/run.sh                      uses build/stepwise
#   STEPWISE_BIN=path tests/e2e/js/run.sh    another binary
#   tests/e2e/js/run.sh FILE.test.mjs ...    only these files
# Ends with node's summary; the exit status is non-zero if a test failed.
set -e
cd "$(dirname "$0")"
: "${STEPWISE_BIN:=$(cd ../../.. && pwd)/build/stepwise}"
export STEPWISE_BIN
# No user AWS configuration may leak into the tests.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
# npm ci leaves node_modules/.package-lock.json; reinstall when it is missing
# or older than the lock file (or package.json).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
    npm ci --no-audit --no-fund
fi
exec node --test --test-reporter=./reporter.mjs "$@"
