"""Write the book's build configuration: ``_config.yml`` plus its repository.

The repository URL has one source: ``--repository`` (``make book REPOSITORY=URL``),
else ``git remote get-url origin``. With a GitHub URL the book gets launch buttons that
open each chapter's notebook in Colab at this commit (so the notebook's first cell
installs srcore from that same commit) and a repository button. Without one it gets
neither, and the front page's ``{{ colab }}`` line says why. ``_config.yml`` itself
names no repository: a book built from it alone has no launch buttons.

    python scripts/book_config.py --out _build/_config.yml [--repository URL]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
COLAB = "https://colab.research.google.com"
GITHUB = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+")


def git(*args: str) -> str | None:
    """The output of ``git ARGS`` in the repository, or ``None`` when git fails."""
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def normalise(url: str) -> str:
    """``git@github.com:o/r.git`` or ``https://github.com/o/r.git/`` as
    ``https://github.com/o/r``; other URLs lose only a trailing ``.git`` and ``/``.

    >>> normalise("git@github.com:owner/repo.git")
    'https://github.com/owner/repo'
    """
    url = url.strip().rstrip("/")
    url = re.sub(r"^(?:ssh://)?git@github\.com[:/]", "https://github.com/", url)
    return url.removesuffix(".git")


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it, nested mappings merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def launch_settings(url: str | None, commit: str | None) -> tuple[dict[str, Any], str]:
    """The configuration to add for repository ``url`` at ``commit``, and a one-line
    account of it (also the front page's ``colab`` substitution)."""
    if url and GITHUB.fullmatch(url) and commit:
        owner_repo = url.removeprefix("https://github.com/")
        notice = (
            "the launch button (rocket icon) at the top of a chapter opens its "
            f"notebook from [{owner_repo}]({url}) at commit `{commit[:12]}`, the one "
            "this book was built from; its first cell installs srcore from that "
            "commit, keeping Colab's torch."
        )
        settings = {
            # A commit in place of a branch: the buttons open this commit's notebooks.
            "repository": {"url": url, "branch": commit, "path_to_book": ""},
            "launch_buttons": {"colab_url": COLAB},
            "html": {"use_repository_button": True},
        }
    else:
        if url and not commit:
            why = "its commit is unknown (no git history)"
        elif url:
            why = f"its repository, `{url}`, is not on GitHub, which Colab needs"
        else:
            why = "it names no repository (no `make book REPOSITORY=URL`, no remote)"
        notice = (
            f"this build has no launch buttons: {why}. Open a `notebooks/*.ipynb` in "
            "Colab from the repository and run `%env SRCORE_REPOSITORY=URL@COMMIT` "
            "before its first cell, which then installs srcore from there."
        )
        settings = {
            "launch_buttons": {"colab_url": ""},
            "html": {"use_repository_button": False},
        }
    settings["parse"] = {"myst_substitutions": {"colab": notice}}
    return settings, notice


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="config file to write")
    parser.add_argument(
        "--repository", default="", help="repository URL (default: git remote origin)"
    )
    parser.add_argument("--config", type=Path, default=ROOT / "_config.yml")
    args = parser.parse_args(argv)

    given = args.repository.strip() or git("remote", "get-url", "origin")
    url = normalise(given) if given else None
    settings, notice = launch_settings(url, git("rev-parse", "HEAD"))
    config = merge(yaml.safe_load(args.config.read_text()), settings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Written by scripts/book_config.py from {args.config.name}.\n"
    args.out.write_text(header + yaml.safe_dump(config, sort_keys=False))
    print(f"book_config: {notice}", file=sys.stderr)
    dirty = git("status", "--porcelain", "--", "notebooks")
    if settings["launch_buttons"]["colab_url"] and dirty:
        print(
            "book_config: notebooks/ has uncommitted changes; the launch buttons "
            "open the committed ones",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
