#!/bin/sh
# Build and run the standalone C tests: every csrc/tests/test_*.c is linked with
# all library sources csrc/*.c (compiled once) and run from the repository root.
#
#   csrc/tests/run_c_tests.sh            all tests
#   csrc/tests/run_c_tests.sh normal mvn only test_normal.c and test_mvn.c
#
# Environment: CC (default cc), CFLAGS (default -O2 -std=c99 -Wall -Wextra),
# LDLIBS (default -lm), ND_TEST_DATA (default csrc/tests/data).
# Exits non-zero if anything fails to build or a test fails.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2

CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -std=c99 -Wall -Wextra}
LDLIBS=${LDLIBS:--lm}
ND_TEST_DATA=${ND_TEST_DATA:-$root/csrc/tests/data}
export ND_TEST_DATA

build=$(mktemp -d "${TMPDIR:-/tmp}/nd_c_tests.XXXXXX") || exit 2
trap 'rm -rf "$build"' EXIT INT TERM

status=0

# library objects, once
objs=""
for src in csrc/*.c; do
    [ -e "$src" ] || continue
    obj="$build/$(basename "$src" .c).o"
    # shellcheck disable=SC2086
    if $CC $CFLAGS -Icsrc/include -c "$src" -o "$obj"; then
        objs="$objs $obj"
    else
        echo "BUILD FAILED: $src"
        status=1
    fi
done
if [ $status -ne 0 ]; then
    echo "c tests: library did not build"
    exit 1
fi

if [ $# -gt 0 ]; then
    tests=""
    for name in "$@"; do tests="$tests csrc/tests/test_${name#test_}"; done
    tests=$(for t in $tests; do case $t in *.c) echo "$t" ;; *) echo "$t.c" ;; esac; done)
else
    tests=$(ls csrc/tests/test_*.c 2>/dev/null)
fi

passed=0
failed=0
for t in $tests; do
    name=$(basename "$t" .c)
    if [ ! -f "$t" ]; then
        echo "MISSING $t"
        failed=$((failed + 1))
        continue
    fi
    # shellcheck disable=SC2086
    if ! $CC $CFLAGS -Icsrc/include "$t" $objs $LDLIBS -o "$build/$name"; then
        echo "BUILD FAILED: $t"
        failed=$((failed + 1))
        continue
    fi
    start=$(date +%s)
    if "$build/$name"; then
        echo "PASS $name ($(( $(date +%s) - start ))s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name (exit $?)"
        failed=$((failed + 1))
    fi
done

echo "c tests: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
