#!/bin/sh
# Write base..HEAD of build/linux to patches/ as numbered format-patch files
# and rewrite patches/series. The output depends only on the commits (zeroed
# commit ids, no version signature, cover letter dated like HEAD), so running
# it twice changes nothing. --compact-summary marks new files "(new)" in the
# diffstats, so the cover letter's "create mode" lines, which are longer
# than checkpatch's 75 columns, can go.
# Usage: export.sh [DIR]   (default: patches/)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$top/build/linux
[ -d "$tree/.git" ] || { echo "No build/linux: run make tree first." >&2; exit 1; }
dest=$(realpath "${1:-$top/patches}")
cd "$tree"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "build/linux has uncommitted changes: commit them first." >&2
	exit 1
fi

count=$(git rev-list --count base..HEAD)
mkdir -p "$dest"
rm -f "$dest"/*.patch
: >"$dest/series"
[ "$count" -gt 0 ] || { echo "== no commits past base: ${dest#"$top"/} is empty"; exit 0; }

cover=""
if [ "$count" -gt 1 ]; then
	cover="--cover-letter --cover-from-description=subject"
	git config branch.main.description >/dev/null ||
		echo "note: no cover letter text yet; set it with: git -C build/linux branch --edit-description" >&2
fi
# shellcheck disable=SC2086
GIT_COMMITTER_DATE=$(git log -1 --format=%cD) \
	git format-patch -q --no-signature --zero-commit --numbered --abbrev=12 --compact-summary \
	$cover -o "$dest" base..HEAD
cd "$dest"
[ -z "$cover" ] || sed -i '/^ create mode [0-7]* /d' 0000-cover-letter.patch
ls [0-9][0-9][0-9][0-9]-*.patch | grep -v '^0000-cover-letter' >series
echo "== exported $count patch(es) to ${dest#"$top"/}: review with git diff, then commit"
