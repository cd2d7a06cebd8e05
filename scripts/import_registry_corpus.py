"""Copy the recorded WHOIS answers of two public WHOIS libraries into tests/data/registry/corpus/.

    python scripts/import_registry_corpus.py LIKEXIAN_GIT_DIR PENMAN_GIT_DIR

Each argument is a git directory (a clone, or the bare snapshot the search tools' ``fetch`` leaves under
/work/.mirror/OWNER+NAME/repo) of:

    likexian/whois-parser   testdata/noterror/<tld>_<domain> and <...>.json, testdata/notfound/*
    richardpenman/whois     test/samples/whois/<domain> and test/samples/expected/<domain>

The files are copied byte for byte, as data: the answers registries gave, and the values those
projects expect their own parsers to read from them. Nothing of their code is copied. PROVENANCE.md
records repository, commit, paths and licence. ``tests/registry_corpus.py`` reads the copies; the
corrections this project makes to the expected values live apart, in ``corrections.toml``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEST = Path(__file__).resolve().parent.parent / "tests" / "data" / "registry" / "corpus"

SOURCES = (
    # (repository, licence, [(path in the repository, destination under DEST)])
    (
        "likexian/whois-parser",
        "Apache-2.0 (LICENSE in the repository)",
        [("testdata/noterror", "likexian/noterror"), ("testdata/notfound", "likexian/notfound")],
    ),
    (
        "richardpenman/whois",
        "MIT (LICENSE.txt in the repository)",
        [("test/samples/whois", "richardpenman/whois"), ("test/samples/expected", "richardpenman/expected")],
    ),
)


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True).stdout


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    lines = [
        "# Provenance of the registry corpus",
        "",
        "Recorded WHOIS answers from real registries, and the values two open-source WHOIS parsers",
        "expect to read from them, copied byte for byte by `scripts/import_registry_corpus.py`.",
        "They are data: the registries' text and the other projects' expectations, not their code.",
        "Corrections this project makes to an expected value are in `corrections.toml`, each with its",
        "reason; the copies themselves are never edited.",
        "",
    ]
    for (repository, licence, paths), git_dir in zip(SOURCES, argv, strict=True):
        repo = Path(git_dir)
        commit = git(repo, "rev-parse", "HEAD").decode().strip()
        date = git(repo, "log", "-1", "--format=%cI", "HEAD").decode().strip()
        lines += [
            f"## {repository}",
            "",
            f"- repository: https://github.com/{repository}",
            f"- commit: {commit} ({date})",
            f"- licence: {licence}",
        ]
        for source, target in paths:
            names = git(repo, "ls-tree", "--name-only", "HEAD", f"{source}/").decode().split("\n")
            count = 0
            for name in filter(None, names):
                base = name.rsplit("/", 1)[-1]
                if base == "README.md" or base.endswith(".pre"):
                    continue  # a rendering of the list, and the library's own preprocessed copies
                out = DEST / target / base
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(git(repo, "show", f"HEAD:{name}"))
                count += 1
            lines.append(f"- `{source}/` -> `{target}/` ({count} files)")
        lines.append("")
    (DEST / "PROVENANCE.md").write_text("\n".join(lines), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
