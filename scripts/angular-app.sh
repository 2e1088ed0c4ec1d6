#!/usr/bin/env bash
# tests/angular-app: an Angular app as `ng new` makes it (standalone component, zoneless, no SSR)
# that installs the packed tarball (target/npm/token-keeper.tgz, from scripts/build-pkg.sh --pack)
# and builds with `ng build` (the application builder, esbuild) into a static directory:
#
#   scripts/angular-app.sh
#   start_mock_server ANGULAR_URL tests/angular-app/dist/angular-app/browser
#
# Installs the app's packages from the committed package-lock.json when node_modules is missing,
# and token-keeper afresh from the tarball on every run. The lock holds no integrity for the
# tarball (it changes with every build of the package): `--no-save` leaves the lock as it is. To
# change a version, edit package.json, run `npm install` in tests/angular-app and delete the
# "integrity" line of node_modules/token-keeper from the lock.
set -euo pipefail
cd "$(dirname "$0")/../tests/angular-app"
# No analytics (angular.json says so too), and no question at all: NG_FORCE_TTY=false tells the
# CLI it has no terminal, as CI=1 would without turning off its build cache (.angular/cache).
export NG_CLI_ANALYTICS=false NG_FORCE_TTY=false
rm -rf node_modules/token-keeper dist
npm install --no-save --no-audit --no-fund --loglevel=error
node_modules/.bin/ng build
