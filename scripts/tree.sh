#!/bin/sh
# Build build/linux: Debian's linux-source-6.1 as a git repository whose first
# commit is tagged "base", with patches/series applied on top by git am.
# Usage: tree.sh [--force]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$top/build/linux
tarball=/usr/src/linux-source-6.1.tar.xz
force=${1:-}

# Refuse to throw away work: uncommitted changes, or commits that differ
# from what patches/ holds.
if [ -d "$tree/.git" ] && [ "$force" != --force ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		! "$top/scripts/export.sh" "$tmp" >/dev/null 2>&1 ||
		! diff -r -q -x '0000-cover-letter.patch' "$tmp" "$top/patches" >/dev/null 2>&1; then
		echo "build/linux has uncommitted changes or commits that are not in patches/." >&2
		echo "Export them first (make export, then commit patches/)," >&2
		echo "or throw them away with: make tree FORCE=1" >&2
		exit 1
	fi
fi

"$top/scripts/need.sh" linux-source-6.1 xz-utils git
version=$(dpkg-query -W -f='${Version}' linux-source-6.1)

echo "== extracting linux-source-6.1 $version into build/linux"
rm -rf "$tree"
mkdir -p "$tree"
tar -xJf "$tarball" -C "$tree" --strip-components=1

cd "$tree"
# Debian's top-level .gitignore ends with a block ("/*" then "!/debian/")
# that ignores every top-level path; drop it so git sees the sources.
sed -i '/^\/\*$/,$d' .gitignore

git init -q -b main
git config user.name "${GIT_AUTHOR_NAME:-guest_memfd-6.1 developers}"
git config user.email "${GIT_AUTHOR_EMAIL:-gmem61@example.org}"
git config core.abbrev 12
echo "== committing the base tree (about 78,000 files)"
git add -A
GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
	git commit -q -m "Debian linux-source-6.1 $version" \
	-m "Extracted from /usr/src/linux-source-6.1.tar.xz with the Debian block of the top-level .gitignore removed."
git tag base

series=$top/patches/series
if [ -s "$series" ]; then
	echo "== applying patches/series"
	grep -v '^[[:space:]]*\(#\|$\)' "$series" | while read -r p; do
		git am -q --keep-cr "$top/patches/$p" || {
			echo "git am failed on patches/$p: fix it in build/linux (git am --show-current-patch)" >&2
			exit 1
		}
	done
fi
# The cover letter's text lives in the branch description, from which
# make export regenerates it (git format-patch --cover-from-description);
# recover it here: subject, blank line, body up to the shortlog.
cover=$top/patches/0000-cover-letter.patch
if [ -f "$cover" ]; then
	git mailinfo /tmp/gmem-cover-msg.$$ /dev/null <"$cover" >/tmp/gmem-cover-info.$$
	{
		sed -n 's/^Subject: //p' /tmp/gmem-cover-info.$$
		echo
		sed '/^[^ ].* ([0-9][0-9]*):$/,$d' /tmp/gmem-cover-msg.$$
	} >.git/cover-description
	rm -f /tmp/gmem-cover-msg.$$ /tmp/gmem-cover-info.$$
	git config branch.main.description "$(cat .git/cover-description)"
fi
echo "== build/linux ready: $(git rev-list --count base..HEAD) patch(es) on base"
