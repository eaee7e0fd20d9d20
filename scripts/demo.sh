#!/usr/bin/env bash
# `make demo`: the system on its embedded default (SQLite, the virtual card, a demo CA, demo
# data), then the HTTP service (OCSP, CRLs, CA certificates) until Ctrl+C.
set -euo pipefail
M=.venv/bin/madoguchi
DATA=${MADOGUCHI_DATA_DIR:-demo-data}
PORT=${PORT:-8080}
export MADOGUCHI_DATA_DIR="$DATA" MADOGUCHI_PUBLIC_BASE_URL="http://127.0.0.1:$PORT"
run() { printf '\n\033[1m$ madoguchi %s\033[0m\n' "$*"; "$M" "$@" || true; }

run rules expiry --kind sign --birth 1980-07-01 --issued 2026-04-01 --card-expiry 2035-07-01 --replacing 2026-06-15
run rules checklist --procedure renewal --applicant proxy
run rules office --office kawanishi --at 2026-11-24T10:00

if [ ! -f "$DATA/madoguchi.db" ]; then
  run demo-data
else
  echo; echo "demo data already in $DATA (delete the directory to start afresh)"
fi
run audit verify
run ca export --out "$DATA/ca"
if [ ! -f "$DATA/testcard/sign.pem" ]; then
  run testcard issue --name "帯広 花子" --birth 1985-07-01 --gender 2 \
      --address "北海道帯広市西5条南7丁目1番地" --out "$DATA/testcard"
fi
run cert show "$DATA/testcard/sign.pem"
CARD=$(basename "$(ls "$DATA"/testcard/VC*.card | head -1)" .card)

cat <<MSG

The service starts on http://127.0.0.1:$PORT/ (Ctrl+C stops it; another port: PORT=8081 make demo).
  Counter screens:  http://127.0.0.1:$PORT/staff/   (demo logins below; the card PINs of the
                    demo residents: 住基 1234, 券面 5678)
      clerk       / clerk-demo-2026       窓口職員・本庁
      supervisor  / supervisor-demo-2026  監督者・本庁
      admin       / admin-demo-2026       管理者・本庁
      branch      / branch-demo-2026      窓口職員・川西支所（電子証明書の手続きはできない支所: R-PROC-0）
  Public pages:     http://127.0.0.1:$PORT/   (何を持っていけばいい？, offices, fees, certificate check)
  JSON API:         http://127.0.0.1:$PORT/api/v1/openapi.json (staff token: madoguchi staff token)
Try, in another terminal:
  openssl ocsp -issuer $DATA/ca/sign-ca.pem -cert $DATA/testcard/sign.pem \\
      -url http://127.0.0.1:$PORT/ocsp -CAfile $DATA/ca/sign-ca.pem -no_nonce
  curl -s http://127.0.0.1:$PORT/crl/sign.crl | openssl crl -inform DER -noout -text
The test card in a virtual card reader (needs pcscd running with vsmartcard-vpcd; docs/cards.md):
  $M card serve-vpcd $CARD --data-dir $DATA     # then: pkcs15-tool --list-certificates
MSG
exec "$M" serve --port "$PORT"
