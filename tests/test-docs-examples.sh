#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The files the documentation shows in full are shown as they are: the C
# example of docs/c-api.md is examples/xor.c (which the example-xor test
# builds and runs) but for its opening comment lines, the experiment of
# README.md's first experiment is configs/iris.yaml, and the sweep of
# docs/sweeps.md's first sweep is configs/iris-sweep.yaml.
#
# Usage: test-docs-examples.sh SOURCE_ROOT
set -eu

cd "$1"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nn-docs-examples-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

# block PAGE SECTION LANGUAGE: the first ```LANGUAGE block of the page, in
# the section of that heading, or anywhere when SECTION is empty.
block () {
  awk -v section="$2" -v fence="\`\`\`$3" '
    /^#+ / && !in_block { in_section = (section == "" || $0 ~ "^#+ " section "$") }
    in_section && /^```/ {
      if (in_block) { found = 1; exit }
      if ($0 == fence) in_block = 1
      next
    }
    in_block { print }
    END { exit !found }' "$1"
}

# same PAGE SECTION LANGUAGE FILE SKIP: that block is FILE without its first
# SKIP lines.
same () {
  if ! block "$1" "$2" "$3" > "$tmp/shown"; then
    echo "$1: no \`\`\`$3 block${2:+ under \"$2\"}"
    status=1
    return
  fi
  tail -n +"$(($5 + 1))" "$4" > "$tmp/file"
  if ! diff -u "$tmp/file" "$tmp/shown"; then
    echo "$1: the \`\`\`$3 block${2:+ under \"$2\"} is not $4"
    status=1
  fi
}

# xor.c opens with its licence and a line saying what it is.
same docs/c-api.md "" c examples/xor.c 2
same README.md "A first experiment" yaml configs/iris.yaml 0
same docs/sweeps.md "A first sweep" yaml configs/iris-sweep.yaml 0
[ $status -eq 0 ] && echo "docs/c-api.md shows examples/xor.c, README.md shows configs/iris.yaml," \
  "docs/sweeps.md shows configs/iris-sweep.yaml"
exit $status
