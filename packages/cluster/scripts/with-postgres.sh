#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL: initdb in a temporary directory,
# start it on 127.0.0.1 on a free port, export UNRATE_PG_URL, run the command,
# stop the server and remove the directory (also on failure or Ctrl-C).
#   bash packages/cluster/scripts/with-postgres.sh pnpm test:cluster
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres`
# user (created when missing).
set -euo pipefail

bin=""
for dir in /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/pg_ctl" ]; then bin="$dir"; fi
done
if [ -z "$bin" ]; then
  bin="$(dirname "$(command -v pg_ctl || true)")"
fi
if [ ! -x "$bin/pg_ctl" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: no PostgreSQL binaries (apt-get install -y postgresql)" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" = "0" ]; then
  if ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi
  as_owner=(runuser -u postgres --)
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/unrate-pg-XXXXXX")"
chmod 0755 "$dir"
if [ "${#as_owner[@]}" -gt 0 ]; then chown postgres "$dir"; fi
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U unrate --auth=trust --no-sync >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null

export UNRATE_PG_URL="postgres://unrate@127.0.0.1:${port}/postgres"
echo "with-postgres: PostgreSQL on 127.0.0.1:${port}" >&2
"$@"
