#!/usr/bin/env bash
# `make demo`: for now, the rules layer answering the questions a clerk asks every day.
set -euo pipefail
M=.venv/bin/madoguchi
run() { printf '\n\033[1m$ madoguchi %s\033[0m\n' "$*"; "$M" "$@" || true; }
run rules expiry --kind sign --birth 1980-07-01 --issued 2026-04-01 --card-expiry 2035-07-01 --replacing 2026-06-15
run rules renewal-window --expires 2026-06-15 --on 2026-03-16
run rules checklist --procedure renewal --applicant proxy
run rules office --office kawanishi --at 2026-11-24T10:00
run rules eligible --kind sign --birth 2012-04-01 --on 2026-11-24
run rules revocation --event address
run rules fee --on 2026-11-24
run rules pin --kind sign abc12
