# Shared by the CLI test scripts (sourced, with the script's arguments
# <path-to-vae> <scratch-dir>): the tool as $V, a fresh scratch directory as
# the working directory, pass/fail counts, and the helpers below.
set -u
V=$(realpath "$1")
S=$2
rm -rf "$S" && mkdir -p "$S" && cd "$S" || exit 1
PY=/usr/bin/python3
pass=0
fail=0

ok() { echo "ok    $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1"; fail=$((fail + 1)); }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else bad "$desc"; fi
}
# run ARGS...: the tool with stdout in out.txt and stderr in err.txt.
run() { "$V" "$@" >out.txt 2>err.txt; }
# expect_error DESCRIPTION MESSAGE ARGS...: exit 1 and exactly MESSAGE on
# stderr (scripts that check more define their own after sourcing this).
expect_error() {
    local desc=$1 want=$2
    shift 2
    run "$@"
    local rc=$?
    if [ $rc -eq 1 ] && [ "$(cat err.txt)" = "$want" ]; then ok "$desc: $want"; else
        bad "$desc: exit $rc, stderr: $(cat err.txt)"
    fi
}
# finish NAME: the counts; the script's exit status says whether all passed.
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
