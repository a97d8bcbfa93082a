#!/bin/sh
# Runs the end-to-end tests against a real `stepwise serve` (boto3, the AWS
# CLI, raw HTTP). Needs Debian's python3-boto3, python3-pytest and awscli.
#   tests/e2e/run.sh                      uses build/stepwise
#   STEPWISE_BIN=path tests/e2e/run.sh    another binary
# Ends with pytest's summary line.
set -e
cd "$(dirname "$0")/../.."
: "${STEPWISE_BIN:=$PWD/build/stepwise}"
export STEPWISE_BIN
# No user AWS configuration may leak into the tests.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
# Arguments name the test files (or pytest options) to run instead of all.
[ $# -gt 0 ] || set -- tests/e2e
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@"
