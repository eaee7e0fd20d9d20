#!/usr/bin/env bash
# `make demo-national` (issue 17, docs/national.md): one CA service and two municipalities'
# counters as registration authorities — 帯広市 (012076) and 札幌市 (011002) — on loopback
# ports, each with its own data directory; until Ctrl+C.
set -euo pipefail
M=.venv/bin/madoguchi
DATA=${MADOGUCHI_NATIONAL_DIR:-demo-national}
CA_PORT=${CA_PORT:-8443}
PUBLIC_PORT=${PUBLIC_PORT:-8081}
OBIHIRO_PORT=${OBIHIRO_PORT:-8082}
SAPPORO_PORT=${SAPPORO_PORT:-8083}
unset MADOGUCHI_DATA_DIR MADOGUCHI_CA_URL MADOGUCHI_RA_CREDENTIALS MADOGUCHI_MUNICIPALITY
mkdir -p "$DATA"
PIDS=()
stop() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

ca() { MADOGUCHI_DATA_DIR="$DATA/ca" MADOGUCHI_PUBLIC_BASE_URL="http://127.0.0.1:$PUBLIC_PORT" "$M" "$@"; }

# wait for a line in a log file (the process's readiness signal); give up if it exits
wait_for() {
  local pid=$1 log=$2 text=$3
  until grep -q "$text" "$log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "failed to start" >&2; exit 1; fi
    sleep 0.2
  done
}

if [ ! -f "$DATA/ca/madoguchi.db" ]; then
  ca ca init
  # the counters as the CA operator's expiry notices name them (R-NAT-2)
  ca ca enroll-ra --municipality 012076 --name "帯広市 戸籍住民課" --out "$DATA/ra-012076" \
    --address "〒080-8670 帯広市西5条南7丁目1番地" --phone 0155-65-4234 \
    --hours "8時45分〜17時30分（土日祝日・年末年始を除く）"
  ca ca enroll-ra --municipality 011002 --name "札幌市 市民課" --out "$DATA/ra-011002" \
    --address "〒060-8611 札幌市中央区北1条西2丁目" --phone 011-211-2111 \
    --hours "8時45分〜17時15分（土日祝日・年末年始を除く）"
else
  echo "the CA service's data already in $DATA/ca (delete $DATA to start afresh)"
fi
MADOGUCHI_DATA_DIR="$DATA/ca" MADOGUCHI_PUBLIC_BASE_URL="http://127.0.0.1:$PUBLIC_PORT" \
  "$M" ca serve --port "$CA_PORT" --public-port "$PUBLIC_PORT" >"$DATA/ca-serve.log" 2>&1 &
PIDS+=($!)
wait_for "${PIDS[-1]}" "$DATA/ca-serve.log" "madoguchi ca serve: ready"
cat "$DATA/ca-serve.log"

# one card issuer key and one card vault key for both counters: a card (its file in
# cards/) can move with its holder from one municipality to the other (R-NAT-3)
if [ ! -f "$DATA/card-keys" ] && [ ! -d "$DATA/counter-012076" ]; then
  (umask 077; printf '%s %s\n' "$(openssl rand -hex 32)" "$(openssl rand -hex 32)" >"$DATA/card-keys")
fi
if [ -f "$DATA/card-keys" ]; then
  read -r MADOGUCHI_CARD_ISSUER_KEY MADOGUCHI_CARD_VAULT_KEY <"$DATA/card-keys"
  export MADOGUCHI_CARD_ISSUER_KEY MADOGUCHI_CARD_VAULT_KEY
fi

counter() {  # code city port
  local code=$1 city=$2 port=$3
  export MADOGUCHI_DATA_DIR="$DATA/counter-$code" MADOGUCHI_MUNICIPALITY="$code" \
    MADOGUCHI_CA_URL="https://127.0.0.1:$CA_PORT" MADOGUCHI_RA_CREDENTIALS="$DATA/ra-$code" \
    MADOGUCHI_CA_LOCALITY_CITY="$city" MADOGUCHI_PUBLIC_BASE_URL="http://127.0.0.1:$port"
  if [ ! -f "$MADOGUCHI_DATA_DIR/madoguchi.db" ]; then
    "$M" demo-data >/dev/null
    "$M" testcard issue --name "試験 花子" --birth 1985-07-01 --gender 2 \
      --address "北海道${city}1番地" --out "$MADOGUCHI_DATA_DIR/testcard" >/dev/null
  fi
  "$M" serve --port "$port" >"$DATA/counter-$code.log" 2>&1 &
  PIDS+=($!)
  wait_for "${PIDS[-1]}" "$DATA/counter-$code.log" "madoguchi: http"
  unset MADOGUCHI_DATA_DIR MADOGUCHI_MUNICIPALITY MADOGUCHI_CA_URL MADOGUCHI_RA_CREDENTIALS \
    MADOGUCHI_CA_LOCALITY_CITY MADOGUCHI_PUBLIC_BASE_URL
}
counter 012076 帯広市 "$OBIHIRO_PORT"
counter 011002 札幌市 "$SAPPORO_PORT"

cat <<MSG

The national demo runs (Ctrl+C stops all three):
  CA service:  RA API https://127.0.0.1:$CA_PORT/ra/v1 (mutual TLS; credentials in $DATA/ra-*)
               OCSP, CRLs, CA certificates http://127.0.0.1:$PUBLIC_PORT/ (/ocsp, /crl/sign.crl, /ca/sign-ca.der)
  帯広市 012076 counter:  http://127.0.0.1:$OBIHIRO_PORT/staff/
  札幌市 011002 counter:  http://127.0.0.1:$SAPPORO_PORT/staff/
  Logins on both counters (the demo residents' card PINs: 住基 1234, 券面 5678; they have
  cards but no certificates yet — issue them at the counter, through the CA service):
      clerk       / clerk-demo-2026       窓口職員・本庁
      supervisor  / supervisor-demo-2026  監督者・本庁
      admin       / admin-demo-2026       管理者・本庁
Who asked for a certificate, at the CA:
  MADOGUCHI_DATA_DIR=$DATA/ca $M ca show --kind sign --serial HEX --json
  MADOGUCHI_DATA_DIR=$DATA/ca $M ca ra-list
A move from 帯広市 to 札幌市 with the card kept (docs/national.md, "Moves"):
  (the counter's settings as above) $M registry move-out --resident R… --planned YYYY-MM-DD
  (札幌市's) $M registry move-in --card-id VC… --card-file $DATA/counter-012076/cards/VC….card …
  MADOGUCHI_DATA_DIR=$DATA/ca $M ca run-deadlines      # daily: 30 days without a move-in
The expiry notices are the CA operator's, for every municipality's holders (R-NAT-2;
docs/national.md, "Expiry notices"):
  MADOGUCHI_DATA_DIR=$DATA/ca $M ca notices plan --from YYYY-MM-DD --to YYYY-MM-DD --campaign N
  MADOGUCHI_DATA_DIR=$DATA/ca $M ca notices dispatch --campaign N   # PDF + CSV in $DATA/ca/notices/
MSG
wait
