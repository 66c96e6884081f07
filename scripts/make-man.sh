#!/usr/bin/env bash
# make-man.sh: one man page from a program's own --help, so the page and
# --help cannot drift. `make` runs it for every page into build/man/:
#
#   scripts/make-man.sh TEMPLATE PROGRAM OUT [NAME=VALUE...]
#
# TEMPLATE (man/<page>.in) holds the hand-written parts (NAME, FILES, EXIT
# STATUS, EXAMPLES, SEE ALSO) and these lines, each alone on its line:
#   @SYNOPSIS@     the "usage:" lines of PROGRAM --help
#   @DESCRIPTION@  the prose between them and the first option
#   @OPTIONS@      every option: from PROGRAM --help-man when the program
#                  has it (netcap prints its option table as roff there),
#                  else converted from the option lines of --help; then the
#                  prose after the options
# and @NAME@ words (each NAME=VALUE argument, e.g. SYSCONFDIR=/etc) anywhere.
#
# The --help texts this converts: option lines start with two spaces and a
# dash; an option's text follows two spaces (or, when the option is long,
# one space after its last UPPERCASE argument word) and goes on in lines
# indented by four or more spaces; a line at the margin followed by an
# option line heads a group of options (netcap-label's Input, Labels,
# Output); other lines at the margin are prose.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 TEMPLATE PROGRAM OUT [NAME=VALUE...]" >&2; exit 2; }
template=$1 prog=$2 out=$3
shift 3

help=$("$prog" --help)
# netcap's option table as roff; other programs do not know the flag.
opts_roff=$("$prog" --help-man 2>/dev/null) || opts_roff=

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$help" >"$tmp/help"
printf '%s\n' "$opts_roff" >"$tmp/opts"

# Split --help into synopsis, description, options, trailing prose, all roff.
awk -v dir="$tmp" -v have_roff="$([ -n "$opts_roff" ] && echo 1 || echo 0)" '
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	if (s ~ /^[.'\'']/)
		s = "\\&" s
	return s
}
# An option tag: -x, --long ARG, --other -> bold flags, italic arguments.
function tag(s,    n, w, i, r, word, comma) {
	n = split(s, w, / +/)
	r = ""
	for (i = 1; i <= n; i++) {
		word = w[i]; comma = ""
		if (word ~ /,$/) { comma = ","; word = substr(word, 1, length(word) - 1) }
		if (word ~ /^-/)
			word = "\\fB" esc(word) "\\fR"
		else
			word = "\\fI" esc(word) "\\fR"
		r = r (i > 1 ? " " : "") word comma
	}
	return r
}
function flush_opt() {
	if (opt_tag == "")
		return
	if (opt_text == "" && opt_tag ~ /--help/)
		opt_text = "print the options (this list), or the version, and exit"
	print ".TP" > (dir "/o")
	print tag(opt_tag) > (dir "/o")
	print esc(opt_text) > (dir "/o")
	opt_tag = ""; opt_text = ""
}
function flush_prose(    f) {
	if (prose == "")
		return
	f = seen_opt ? dir "/t" : dir "/d"
	print ".PP" > f
	print esc(prose) > f
	prose = ""
}
{ line[NR] = $0 }
END {
	state = "usage"
	for (i = 1; i <= NR; i++) {
		l = line[i]
		if (state == "usage") {
			if (i == 1 && sub(/^usage: +/, "", l) || l ~ /^       [a-z]/) {
				sub(/^ +/, "", l)
				split(l, parts, " ")
				rest = substr(l, length(parts[1]) + 2)
				print (i > 1 ? ".br\n" : "") "\\fB" esc(parts[1]) "\\fR " esc(rest) > (dir "/s")
				continue
			}
			state = "text"
		}
		if (l ~ /^  -/) {
			flush_prose()
			flush_opt()
			seen_opt = 1
			body = substr(l, 3)
			if (match(body, /  +/)) {
				opt_tag = substr(body, 1, RSTART - 1)
				opt_text = substr(body, RSTART + RLENGTH)
			} else {
				n = split(body, w, / +/)
				for (k = 1; k <= n; k++)
					if (w[k] !~ /^-/ && (w[k] !~ /^[A-Z0-9][A-Z0-9_|.,:=\[\]]*$/))
						break
				opt_tag = ""; opt_text = ""
				for (j = 1; j < k; j++)
					opt_tag = opt_tag (j > 1 ? " " : "") w[j]
				for (j = k; j <= n; j++)
					opt_text = opt_text (j > k ? " " : "") w[j]
			}
			continue
		}
		if (l ~ /^    +[^ ]/ && opt_tag != "") {
			sub(/^ +/, "", l)
			opt_text = opt_text (opt_text == "" ? "" : " ") l
			continue
		}
		if (l ~ /^[ \t]*$/) {
			flush_opt()
			flush_prose()
			continue
		}
		# A line at the margin: the heading of a group of options, or prose.
		flush_opt()
		if (line[i + 1] ~ /^  -/ && line[i - 1] ~ /^[ \t]*$/ && prose == "") {
			flush_prose()
			if (!have_roff)
				print ".SS " esc(l) > (dir "/o")
			seen_opt = 1
			continue
		}
		sub(/^ +/, "", l)
		prose = prose (prose == "" ? "" : " ") l
	}
	flush_opt()
	flush_prose()
}
' "$tmp/help"
touch "$tmp/s" "$tmp/d" "$tmp/o" "$tmp/t"
[ -s "$tmp/s" ] || { echo "$0: $prog --help has no usage: line" >&2; exit 1; }
if [ -n "$opts_roff" ]; then
  cp "$tmp/opts" "$tmp/o"
fi
[ -s "$tmp/o" ] || { echo "$0: no options found in $prog --help" >&2; exit 1; }
cat "$tmp/t" >>"$tmp/o"

# The template with the parts in place, then the NAME=VALUE words.
awk -v dir="$tmp" '
function put(f,    l) { while ((getline l < f) > 0) print l; close(f) }
$0 == "@SYNOPSIS@" { put(dir "/s"); next }
$0 == "@DESCRIPTION@" { put(dir "/d"); next }
$0 == "@OPTIONS@" { put(dir "/o"); next }
{ print }
' "$template" >"$tmp/page"
for kv in "$@"; do
  k=${kv%%=*} v=${kv#*=}
  v=${v//\\/\\\\}; v=${v//&/\\&}; v=${v//|/\\|}
  sed -i "s|@$k@|$v|g" "$tmp/page"
done
if grep -n '@[A-Z_]*@' "$tmp/page" >&2; then
  echo "$0: $template: placeholders left (above)" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
mv "$tmp/page" "$out"
