#!/bin/sh
# System packages the test suite and the workspace need:
#   - a PostgreSQL server (initdb, pg_ctl, postgres) for the governance store's contract tests;
#   - bubblewrap (bwrap), the sandbox researchers' jobs run in;
#   - R (r-base-core, without recommends), for researchers' R jobs.
# Idempotent: installs nothing when the binaries are already there.
set -eu

have_postgres() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && return 0
    done
    return 1
}

MISSING=""
have_postgres || MISSING="$MISSING postgresql"
command -v bwrap >/dev/null 2>&1 || MISSING="$MISSING bubblewrap"
command -v Rscript >/dev/null 2>&1 || MISSING="$MISSING r-base-core"

if [ -z "$MISSING" ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "installing Debian package(s)$MISSING for the test suite and the workspace sandbox"
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $MISSING
