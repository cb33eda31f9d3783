"""Locate a YAML front-matter block (``---`` lines) at the top of an article text.

Shared by the reader (which parses it for metadata) and the sentence splitter (which
marks it as furniture), so both agree on where the article body begins.
"""

from __future__ import annotations

import datetime
import re
from functools import lru_cache

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
    """The YAML of a front-matter block (:func:`auditor.knowledge.parse_yaml`); raises ``yaml.YAMLError``.

    Most blocks are a few ``key: value`` lines, which :func:`_simple_front_matter` reads with the same result
    as YAML (a quarter of the time: YAML's constructor is Python even with the C parser); YAML reads the rest.
    """
    simple = _simple_front_matter(block)
    if simple is not None:
        return simple
    from .knowledge import parse_yaml

    return parse_yaml(block)


# A "key: value" line that YAML reads as one plain scalar mapped to another, both on the line: a key of letters,
# digits, "_" and "-"; a value of characters YAML accepts as printable, with no "#" (a comment), tab or line break
# of any kind (NEL, U+2028/9), that starts with none of YAML's indicators. Trailing spaces are not part of it.
_PRINTABLE_NOT_HASH = "\x20-\x22\x24-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_SIMPLE_LINE = re.compile(rf"(?P<key>[A-Za-z_][A-Za-z0-9_-]{{0,99}}): +(?P<value>[{_PRINTABLE_NOT_HASH}]+)")
_INDICATORS = frozenset(" -?:,[]{}#&*!|>'\"%@`")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def _simple_front_matter(block: str) -> dict[str, object] | None:
    """``block`` read as YAML when every line is a simple ``key: value`` (see ``_SIMPLE_LINE``) whose key YAML
    reads as a string and whose value as a string or a date (YYYY-MM-DD), with no key twice; else None."""
    resolvers = _resolvers()
    if not block.endswith("\n") or "\r" in block or resolvers is None:
        return None
    parsed: dict[str, object] = {}
    for line in block[:-1].split("\n"):
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, value = match.group("key", "value")
        if value[0] in _INDICATORS:  # (a space: "key:" with spaces after it and no value)
            return None
        value = value.rstrip(" ")
        if key in parsed or ": " in value or value.endswith(":"):
            return None
        if _tag_of(key) is not None:  # "yes", "null", "on": not a string
            return None
        tag = _tag_of(value)
        if tag is None:
            parsed[key] = value
        elif tag == _TIMESTAMP_TAG and _DATE.fullmatch(value):
            try:
                parsed[key] = datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
            except ValueError:  # "2016-02-30": YAML's own error
                return None
        else:
            return None
    return parsed


@lru_cache(maxsize=1)
def _resolvers() -> dict | None:
    """YAML's implicit resolvers by first character (imported when first needed: yaml is a heavy import); None
    when path resolvers are registered too (a tag by a value's place in the document: YAML reads every block)."""
    from yaml.resolver import Resolver

    return None if Resolver.yaml_path_resolvers else Resolver.yaml_implicit_resolvers


@lru_cache(maxsize=4096)
def _tag_of(scalar: str) -> str | None:
    """:func:`_implicit_tag` by YAML's resolvers (:func:`_resolvers`, not None), remembered: the keys and many
    values (outlets, dates) come again from file to file."""
    return _implicit_tag(_resolvers(), scalar)  # type: ignore[arg-type]


def _implicit_tag(resolvers: dict, scalar: str) -> str | None:
    """The tag YAML's resolver gives a plain scalar (bool, int, date...), or None for a string: the resolvers of
    its first character, then those for any (as ``yaml.resolver.Resolver.resolve``)."""
    for first in (scalar[:1], None):
        for tag, pattern in resolvers.get(first, ()):
            if pattern.match(scalar):
                return None if tag == _STR_TAG else tag
    return None
