"""What comes before an Apple Health export's root element: the XML declaration, comments and the DOCTYPE,
read by hand so that an entity declaration or an external DTD is refused before any parser sees them, and
the file is recognised as an export (root ``<HealthData>``) from its first bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UTF8_BOM = b"\xef\xbb\xbf"
ROOT = "HealthData"  # the export's root element
ENTITY_MARKER = b"<!ENTITY"
ENTITIES_REFUSED = "refused: the document declares XML entities (entity-expansion/external-entity risk)"
_NAME = re.compile(rb"[A-Za-z_:][-A-Za-z0-9_:.]*")
_SPACE = re.compile(rb"[ \t\r\n]*")
# Tokens of a DOCTYPE internal subset: quoted literals, comments and PIs (which may hold "]" or ">"), or the rest.
_SUBSET_TOKEN = re.compile(rb"\"[^\"]*\"|'[^']*'|<!--.*?-->|<\?.*?\?>|\]|[^\"'<\]]+|<", re.DOTALL)
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


@dataclass(frozen=True)
class Prolog:
    """What the bytes before the root element say. ``complete`` is False when ``head`` ends inside it."""

    complete: bool
    root: str | None = None  # the root element's name, when complete
    root_offset: int = 0
    doctype: str | None = None  # the DOCTYPE's name, when there is one
    declares_entities: bool = False
    external_dtd: bool = False
    encoding: str | None = None  # from the XML declaration
    not_xml: bool = False


def _doctype_end(head: bytes, position: int) -> tuple[int | None, str | None, bool]:
    """(offset after the DOCTYPE or None if cut off, its name, whether it names an external DTD)."""
    position += len(b"<!DOCTYPE")
    position = _SPACE.match(head, position).end()
    name_match = _NAME.match(head, position)
    name = name_match.group().decode("ascii") if name_match else None
    position = name_match.end() if name_match else position
    position = _SPACE.match(head, position).end()
    external = head.startswith((b"SYSTEM", b"PUBLIC"), position)
    # Skip an external identifier's literals up to "[" or ">".
    while position < len(head) and head[position : position + 1] not in (b"[", b">"):
        if head[position : position + 1] in (b'"', b"'"):
            close = head.find(head[position : position + 1], position + 1)
            if close < 0:
                return None, name, external
            position = close + 1
        else:
            position += 1
    if position >= len(head):
        return None, name, external
    if head[position : position + 1] == b"[":
        position += 1
        while True:
            token = _SUBSET_TOKEN.match(head, position)
            if token is None:
                return None, name, external
            position = token.end()
            if token.group() == b"]":
                break
        position = _SPACE.match(head, position).end()
    if position >= len(head):
        return None, name, external
    if head[position : position + 1] != b">":
        return len(head) + 1, name, external  # garbage after the subset: libxml2 will say what is wrong
    return position + 1, name, external


def read_prolog(head: bytes) -> Prolog:
    """Scan the XML declaration, comments, processing instructions and DOCTYPE at the start of ``head``."""
    position = len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0
    doctype: str | None = None
    external = False
    encoding: str | None = None
    while True:
        position = _SPACE.match(head, position).end()
        if position >= len(head):
            break
        if head.startswith(b"<?", position):
            end = head.find(b"?>", position)
            if end < 0:
                break
            if head.startswith(b"<?xml", position):
                found = _ENCODING.search(head, position, end)
                encoding = found.group(1).decode("ascii") if found else None
            position = end + 2
        elif head.startswith(b"<!--", position):
            end = head.find(b"-->", position)
            if end < 0:
                break
            position = end + 3
        elif head.startswith(b"<!DOCTYPE", position):
            end, doctype, external = _doctype_end(head, position)
            if end is None:
                break
            position = end
        elif head.startswith(b"<", position) and (name := _NAME.match(head, position + 1)):
            prolog = head[:position]
            return Prolog(
                complete=True,
                root=name.group().decode("ascii"),
                root_offset=position,
                doctype=doctype,
                declares_entities=b"<!entity" in prolog.lower(),
                external_dtd=external,
                encoding=encoding,
            )
        else:
            return Prolog(complete=True, not_xml=True)
    return Prolog(
        complete=False,
        doctype=doctype,
        declares_entities=b"<!entity" in head.lower(),
        external_dtd=external,
        encoding=encoding,
    )


def looks_like_apple_health(head: bytes) -> bool:
    """Whether these first bytes of a file claim to be an Apple Health export: root ``<HealthData>``, or a DOCTYPE
    naming it when the ~8 kB DOCTYPE fills ``head``. Pass at least 64 KiB. A claim is enough: the export's parser
    then refuses an entity declaration, an external DTD or another encoding with its reason, so a hostile export
    is reported, never passed over in silence."""
    prolog = read_prolog(head)
    if prolog.not_xml:
        return False
    return prolog.root == ROOT if prolog.complete else prolog.doctype == ROOT
