"""A chapter's prose with its numbers filled in by code: same on Colab and in the book.

A paragraph that quotes measured values is a code cell that formats a Markdown
template (``prose.say("ZSSR gains {gain:+.2f} dB.")``, Python's format mini-language,
literal braces doubled) with named values and displays it.
"""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path
from typing import Any

#: A template's field (``{gain:+.2f}``) as it stands in a notebook's prose.
FIELD = re.compile(r"\{[^{}\n]*\}")


def fields(template: str) -> list[str]:
    """The names a template quotes, in order (repeats kept)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


class Prose(dict[str, Any]):
    """Named values, and Markdown paragraphs that quote them."""

    def text(self, template: str) -> str:
        """``template`` with every field formatted from this mapping.

        Example:
            >>> p = Prose(gain=1.234, verdict="reproduced")
            >>> p.text("gains {gain:+.2f} dB: {verdict} ({{doc}})")
            'gains +1.23 dB: reproduced ({doc})'
        """
        missing = [name for name in fields(template) if name not in self]
        if missing:
            raise KeyError(f"the prose quotes {missing[0]!r}, which no cell has set")
        return template.format_map(self).strip("\n")

    def say(self, template: str) -> None:
        """Display ``template``, filled in, as Markdown (the book shows it as prose)."""
        from IPython.display import Markdown, display

        display(Markdown(self.text(template)))


def _said(code: str) -> list[str]:
    """The literal text of every ``….say(...)`` template in a code cell (an f-string
    contributes its literal parts)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "say"
            and node.args
        ):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                parts = [v.value for v in arg.values if isinstance(v, ast.Constant)]
                out.append(" G ".join(parts))
    return out


def notebook_prose(path: str | Path) -> list[str]:
    """The prose of a notebook (``.ipynb`` or percent ``.py``): its markdown cells and
    the templates its code cells say, each field replaced by ``G``.

    Example:
        >>> import tempfile
        >>> nb = Path(tempfile.mkdtemp()) / "n.py"
        >>> _ = nb.write_text('# %% [markdown]\\n# Hello\\n\\n# %%\\n'
        ...                   'prose.say("gain {g:.2f} dB")\\n')
        >>> notebook_prose(nb)
        ['Hello', 'gain G dB']
    """
    path = Path(path)
    cells: list[tuple[str, str]] = []
    if path.suffix == ".ipynb":
        for cell in json.loads(path.read_text())["cells"]:
            cells.append((cell["cell_type"], "".join(cell["source"])))
    else:
        parts = re.split(r"^# %%(.*)$", path.read_text(), flags=re.M)
        for marker, body in zip(parts[1::2], parts[2::2], strict=True):
            if "[markdown]" in marker:
                lines = body.strip("\n").splitlines()
                text = "\n".join(
                    line[2:] if line.startswith("# ") else "" for line in lines
                )
                cells.append(("markdown", text))
            else:
                cells.append(("code", body))
    out = []
    for kind, text in cells:
        if kind == "markdown":
            out.append(text)
        else:
            out += [FIELD.sub("G", t).strip("\n") for t in _said(text)]
    return out
