"""Turn the bytes of an article file into text, or say plainly why that is impossible.

Order of evidence: a byte order mark, then strict UTF-8, then (HTML only) the page's own
``<meta charset>``, then charset-normalizer restricted to the code pages news files really
use. Newlines are never touched: offsets index the decoded text exactly as read. A BOM is
not part of the text (offset 0 is the first character after it).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter

# Longest BOM first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_BOM_STARTS = frozenset(bom[:1] for bom, _, _ in _BOMS)
# Western European and Arabic Windows code pages first (English, French, Arabic news),
# then the other single-byte encodings a newsroom file may come in.
_PREFERRED_CODEPAGES = ["cp1252", "cp1256"]
_OTHER_CODEPAGES = [
    "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1257",
    "iso8859_6", "iso8859_15", "koi8_r", "mac_roman",
]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# C0 control characters other than tab, line feed, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f\ufffd]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")
# More than this share of control characters means the bytes are not text.
_MAX_CONTROL_SHARE = 0.01
# UTF-16 of one script puts few distinct values in the high byte of each unit (0x00 for ASCII,
# 0x06 for Arabic, 0x20 for punctuation): the top four cover at least this share of them.
_UTF16_HIGH_BYTE_SHARE = 0.9
_SAMPLE_BYTES = 65536
# Up to this share of broken sequences, a UTF-8 file is read as UTF-8 with U+FFFD in their place.
_MAX_BROKEN_UTF8_SHARE = 0.001

BINARY = "not a text file (binary content)"


class UndecodableError(ValueError):
    """The bytes cannot be read as text; the message says why in plain words."""


def decode(data: bytes, *, html: bool = False) -> str:
    """Decode an article file's bytes.

    Parameters
    ----------
    data
        The file's bytes.
    html
        Honour a ``<meta charset>`` declaration when the bytes are not UTF-8.

    Raises
    ------
    UndecodableError
        For empty, binary or undecodable content.
    """
    return decode_as(data, html=html)[0]


def decode_as(data: bytes, *, html: bool = False) -> tuple[str, str]:
    """:func:`decode`, and the codec that read the bytes: a Python codec name (``utf-8-sig`` for
    UTF-8 after a BOM), with ``:replace`` when broken sequences became U+FFFD."""
    if not data or data.isspace():
        raise UndecodableError("empty file")
    for bom, encoding, name in _BOMS if data[:1] in _BOM_STARTS else ():
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"not valid {name} text although it starts with a {name} byte order mark "
                                       f"(bad bytes at position {exc.start + len(bom)})") from None
            return _checked(text), ("utf-8-sig" if bom == codecs.BOM_UTF8 else encoding)
    # Zero and other control bytes: UTF-16 without a BOM (Arabic in UTF-16 is mostly 0x06 bytes
    # beside letters, which would even pass as ASCII) or binary content.
    sample = data[:_SAMPLE_BYTES]
    if _CONTROL_BYTES.search(sample) and len(_CONTROL_BYTES.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        return _utf16_without_bom(data)
    try:
        return _checked(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    mostly_utf8 = _mostly_utf8(data)
    if mostly_utf8 is not None:
        return _checked(mostly_utf8), "utf-8:replace"
    if html:
        declared = _declared_charset(data)
        if declared is not None:
            return _checked(declared[0]), declared[1]
    text, encoding = _guess_codepage(data)
    return _checked(text), encoding


def _checked(text: str) -> str:
    if not text or text.isspace():
        raise UndecodableError("empty file")
    if _CONTROL.search(text, 0, 65536) and \
            len(_CONTROL.findall(text, 0, 65536)) > _MAX_CONTROL_SHARE * min(len(text), 65536):
        raise UndecodableError(BINARY)
    return text


def _utf16_without_bom(data: bytes) -> tuple[str, str]:
    """UTF-16 text without a BOM, in the byte order whose high bytes look like one script's; else binary."""
    if len(data) % 2 == 0:
        sample = data[:_SAMPLE_BYTES]
        candidates = []
        for encoding, high_bytes in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
            top = sum(n for _, n in Counter(high_bytes).most_common(4))
            share = top / max(len(high_bytes), 1)
            if share < _UTF16_HIGH_BYTE_SHARE:
                continue
            head = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
            if _looks_like_text(head):
                candidates.append((share, encoding))
        for _, encoding in sorted(candidates, reverse=True):
            try:
                return _checked(data.decode(encoding)), encoding
            except UnicodeDecodeError:
                continue
    raise UndecodableError(BINARY)


def _looks_like_text(text: str) -> bool:
    """Almost no control, unassigned, private-use or lone surrogate characters."""
    if not text:
        return False
    odd = sum(1 for ch in text if ch not in "\t\n\r\f\v" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    return odd + text.count("\ufffd") <= _MAX_CONTROL_SHARE * len(text)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few corrupt bytes (a bad copy-paste) stays UTF-8 rather than becoming mojibake."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    has_multibyte = _NON_ASCII.search(text) is not None
    if has_multibyte and broken <= max(1.0, _MAX_BROKEN_UTF8_SHARE * len(text)):
        return text
    return None


def _declared_charset(data: bytes) -> tuple[str, str] | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    try:
        codec = codecs.lookup(match.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None
    if codec.name in ("utf-8", "utf-16", "utf-32"):  # already ruled out, or wrongly declared
        return None
    try:
        return data.decode(codec.name), codec.name
    except UnicodeDecodeError:
        return None


def _guess_codepage(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    for candidates in (_PREFERRED_CODEPAGES, _OTHER_CODEPAGES):
        best = from_bytes(data, cp_isolation=candidates).best()
        if best is not None:
            return str(best), best.encoding
    if _CONTROL.search(data.decode("latin-1", errors="replace")[:65536]):
        raise UndecodableError(BINARY)
    raise UndecodableError("cannot tell the text encoding (not UTF-8, UTF-16 or a known code page)")
