#!/bin/sh
# Crash test: SIGKILL `stepwise serve` under load (executions with Waits and
# DynamoDB tasks, concurrent PutItems), restart it, check that every
# execution finishes right and no write was lost or applied twice.
#   tests/crash/run.sh                        uses build/stepwise, seed 20261203
#   STEPWISE_BIN=path CRASH_SEED=7 tests/crash/run.sh
#   CRASH_SEEDS="1 2 3" tests/crash/run.sh    one run per seed
# Needs Debian's python3-boto3 and python3-pytest. Ends with pytest's summary.
set -e
cd "$(dirname "$0")/../.."
: "${STEPWISE_BIN:=$PWD/build/stepwise}"
export STEPWISE_BIN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
if [ -n "$CRASH_SEEDS" ]; then
    for s in $CRASH_SEEDS; do
        echo "crash test, seed $s"
        CRASH_SEED=$s /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/crash "$@"
    done
    exit 0
fi
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/crash "$@"
