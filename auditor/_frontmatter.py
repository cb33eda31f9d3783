"""Locate a YAML front-matter block (``---`` lines) at the top of an article text.

Shared by the reader (which parses it for metadata) and the sentence splitter (which
marks it as furniture), so both agree on where the article body begins.
"""

from __future__ import annotations

import re

# The opening line is exactly "---"; the block closes at the next "---" or "..." line.
# The first content line must look like "key:" so a leading Markdown rule is not mistaken for one.
_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n"
    r"(?P<body>(?:[ \t]*\r?\n)*[A-Za-z_][\w-]*[ \t]*:.*?)"
    r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)",
    re.DOTALL | re.MULTILINE,
)


def front_matter_span(text: str) -> tuple[int, int, int] | None:
    """Where the front matter is, or ``None`` when the text has none.

    Returns
    -------
    tuple
        ``(yaml_start, yaml_end, body_start)``: ``text[yaml_start:yaml_end]`` is the YAML between
        the delimiters, and the article body begins at ``body_start`` (after the closing line).
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None
    return match.start("body"), match.end("body"), match.end()


def parse_front_matter(block: str) -> object:
    """The YAML of a front-matter block (:func:`auditor.knowledge.parse_yaml`); raises ``yaml.YAMLError``."""
    from .knowledge import parse_yaml

    return parse_yaml(block)
