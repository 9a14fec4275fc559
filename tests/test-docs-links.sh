#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Markdown pages link where they say: every relative link of README.md,
# docs/*.md and plugins/README.md names a file or folder of the source tree,
# and its #anchor a heading of the page it names, as GitHub makes anchors
# (lower case, punctuation dropped, each space a hyphen, -1, -2... for a
# heading that repeats). Links and headings inside code are not links.
#
# Usage: test-docs-links.sh SOURCE_ROOT
set -eu

cd "$1"

# Drops fenced code blocks (``` or ~~~, indented or not) and code spans,
# keeping line numbers.
strip_code='
  /^[ \t]*(```|~~~)/ { in_code = !in_code; print ""; next }
  in_code { print ""; next }
  { gsub(/`[^`]*`/, "``"); print }'

# The anchors of a page, one a line.
anchors () {
  awk "$strip_code" "$1" | awk '
    /^#+[ \t]/ {
      h = $0
      sub(/^#+[ \t]+/, "", h); sub(/[ \t]+#*[ \t]*$/, "", h)
      h = tolower(h)
      gsub(/[][!"#$%&'\''()*+,.\/:;<=>?@\\^`{|}~]/, "", h)
      gsub(/ /, "-", h)
      n = seen[h]++
      print (n ? h "-" n : h)
    }'
}

# The links of a page, as LINE TARGET: inline links and reference
# definitions, without a link title.
links () {
  awk "$strip_code" "$1" | awk '
    {
      line = $0
      while (match(line, /\]\([^)]*\)/)) {
        t = substr(line, RSTART + 2, RLENGTH - 3)
        sub(/[ \t].*/, "", t)
        print NR, t
        line = substr(line, RSTART + RLENGTH)
      }
    }
    /^ ? ? ?\[[^]]+\]:[ \t]/ {
      t = $0
      sub(/^ *\[[^]]+\]:[ \t]+/, "", t); sub(/[ \t].*/, "", t)
      print NR, t
    }'
}

tmp=$(mktemp "${TMPDIR:-/tmp}/nn-docs-links-XXXXXX")
trap 'rm -f "$tmp"' EXIT
status=0
checked=0
for page in README.md docs/*.md plugins/README.md; do
  [ -f "$page" ] || { echo "$page: missing"; status=1; continue; }
  dir=$(dirname "$page")
  links "$page" > "$tmp"
  while read -r line target; do
    case $target in
      '' | [a-zA-Z]*:*) continue ;;   # a URL (http:, https:, mailto:...)
    esac
    checked=$((checked + 1))
    path=${target%%#*}
    anchor=
    case $target in *'#'*) anchor=${target#*#} ;; esac
    if [ -z "$path" ]; then
      file=$page
    else
      file=$dir/$path
    fi
    if [ ! -e "$file" ]; then
      echo "$page:$line: broken link $target: no $file"
      status=1
    elif [ -n "$anchor" ]; then
      case $file in
        *.md)
          if ! anchors "$file" | grep -qxF -- "$anchor"; then
            echo "$page:$line: broken link $target: $file has no heading #$anchor"
            status=1
          fi ;;
        *)
          echo "$page:$line: broken link $target: an anchor into $file, not a Markdown page"
          status=1 ;;
      esac
    fi
  done < "$tmp"
done

# A reader that found no links would pass anything.
if [ "$checked" -lt 20 ]; then
  echo "only $checked relative links found: the link reader is broken"
  status=1
fi
echo "$checked relative links checked"
exit $status
