#!/usr/bin/env bash
# The consumer test: build, pack every published package, install the tarballs
# into an empty project outside the workspace exactly as the README's install
# section says, then type-check (NodeNext and Bundler), run a program against
# the packed emulator, and drive the installed `unrate` bin.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/unrate-consumer.XXXXXX")"
[ -n "${UNRATE_CONSUMER_KEEP:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT
cd "$root"

pnpm build
mkdir -p "$work/packs" "$work/app"
for package in core emulator platform cli; do
  (cd "packages/$package" && pnpm pack --pack-destination "$work/packs" >/dev/null)
done
node .ci/consumer/check-tarballs.mjs "$work/packs"

cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# The registry would serve @unrate/cli and @unrate/emulator to npx; here the tarballs do.
npm install "$work"/packs/unrate-cli-*.tgz "$work"/packs/unrate-emulator-*.tgz \
  "$work"/packs/unrate-core-*.tgz "$work"/packs/unrate-platform-*.tgz
# The README's `npx @unrate/cli token` signs with the user's key: give it a fresh one.
node -e 'const { privateKey } = require("node:crypto").generateKeyPairSync("ec", { namedCurve: "P-256" })
  process.stdout.write(privateKey.export({ type: "pkcs8", format: "pem" }))' > "$work/AuthKey_TEST.p8"
export APPLE_MUSIC_TEAM_ID=TEAM123456 APPLE_MUSIC_KEY_ID=KEY1234567 APPLE_MUSIC_PRIVATE_KEY_FILE="$work/AuthKey_TEST.p8"
node "$root/.ci/consumer/readme-commands.mjs" "$root/README.md" "$work/packs" > commands.txt
while IFS= read -r command; do
  echo "+ $command"
  bash -c "$command" < /dev/null
done < commands.txt
unset APPLE_MUSIC_TEAM_ID APPLE_MUSIC_KEY_ID APPLE_MUSIC_PRIVATE_KEY_FILE
npm install typescript@~5.9.3 @types/node@^20.19.0

cp "$root/.ci/consumer/app.ts" "$root/.ci/consumer/cli-check.mjs" .
common='"strict": true, "skipLibCheck": false, "types": ["node"], "target": "ES2022", "lib": ["ES2022"]'
echo "{ \"compilerOptions\": { $common, \"module\": \"NodeNext\", \"moduleResolution\": \"NodeNext\", \"outDir\": \"out\" }, \"files\": [\"app.ts\"] }" > tsconfig.json
echo "{ \"compilerOptions\": { $common, \"module\": \"ESNext\", \"moduleResolution\": \"Bundler\", \"noEmit\": true }, \"files\": [\"app.ts\"] }" > tsconfig.bundler.json
npx tsc -p tsconfig.bundler.json
echo "consumer: app.ts type-checks with moduleResolution Bundler"
npx tsc -p tsconfig.json
echo "consumer: app.ts type-checks with moduleResolution NodeNext"
node out/app.js
node cli-check.mjs
echo "consumer test: passed"
