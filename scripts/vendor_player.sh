#!/usr/bin/env bash
# Refresh the console's vendored HLS player from npm: hls.js's light build and its licence, into
# pulumi_ims_record/local/console/vendor/ (committed, so the console works offline and without npm).
# Usage: scripts/vendor_player.sh [VERSION]   then update vendor/README.md with the printed figures.
set -euo pipefail
version="${1:-1.7.4}"
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/pulumi_ims_record/local/console/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
tarball="$(npm pack --silent "hls.js@$version")"
expected="$(npm view "hls.js@$version" dist.integrity)"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
[[ "$actual" == "$expected" ]] || { echo "integrity mismatch: $actual != $expected" >&2; exit 1; }
tar xzf "$tarball"
cp package/dist/hls.light.min.js "$target/hls.light.min.js"
cp package/LICENSE "$target/hls.js.LICENSE"
echo "hls.js $version ($tarball, $expected)"
(cd "$target" && sha256sum hls.light.min.js hls.js.LICENSE)
