#!/usr/bin/env bash
# Runs every ```sh block of docs/writing-a-plugin.md, in order, as the
# tutorial's reader would: from a newshound checkout whose build is in
# `build`, with a fresh $HOME. Installs into and builds under a temporary
# folder, removed at the end.
#   run_tutorial.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
doc="$source_dir/docs/writing-a-plugin.md"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/newshound-tutorial-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/checkout"
ln -s "$build_dir" "$tmp/checkout/build"

# The blocks, joined into one script, each announced on stderr.
script="$tmp/tutorial.sh"
awk '
  /^```sh$/ { inblock = 1; n++; print "echo \"--- tutorial block " n "\" >&2"; next }
  /^```/    { inblock = 0; next }
  inblock   { print }
' "$doc" >"$script"
blocks=$(grep -c '^```sh$' "$doc")
if [[ $blocks -lt 5 ]]; then
  echo "expected the tutorial's sh blocks, found $blocks" >&2
  exit 1
fi

cd "$tmp/checkout"
HOME="$tmp/home" bash -euo pipefail "$script"
echo "all $blocks tutorial blocks ran"
