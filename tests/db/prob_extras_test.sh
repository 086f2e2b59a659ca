#!/usr/bin/env bash
# The database reader's extra columns and optional dates (the probabilistic
# mode's loading): runs the doctest case of tests/prob/test_loader_extras_db.cpp,
# which skips itself without a server, against the test server. nm_tests is
# found beside name_matcher (both are built in the same build directory).
# usage: prob_extras_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: prob_extras_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: prob_extras_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
TESTS=$(dirname "$NM")/nm_tests
check "nm_tests is built beside name_matcher" test -x "$TESTS"
base=$(url x)
check "extra columns and optional dates from a table" \
  env NM_TEST_DB_URL="${base%/x}" "$TESTS" -tc='prob loader: extra columns and optional dates from a database table'
finish prob_extras
