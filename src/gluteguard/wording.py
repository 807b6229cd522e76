"""Plain words for the runner: sources and reasons without our own research files' names and section signs.

The rules' TOML files cite their evidence as it was gathered ("clinical.md §5.2 (… AOPT return-to-running program
[S])"): exact for a maintainer and for the About page and the JSON, but a file name, a section sign and a
verification marker mean nothing to a runner. ``cited`` keeps what a reader can look up (the study, the guideline,
the article) and drops the rest; ``plain`` does the same for a reason that ends in such a reference. Pure text
functions, used by the web pages and the command line alike.
"""

from __future__ import annotations

import re

# "clinical.md §5.2", "gait.md §0.5, §3.5", "load.md", "shared/research/gait.md §3", "clinical.md §5.1 rules 3–4"
_RESEARCH_FILE = re.compile(
    r"(?:shared/research/)?\b(?:clinical|load|gait|parsers)\.md\b"
    r"(?:\s*§\s*[\d.]+(?:\s*(?:,|and|–|-|to)\s*§?\s*[\d.]+)*)?"
    r"(?:\s+(?:rules?|rows?|table)\s+[\d–-]+(?:\s*(?:,|and)\s*[\d–-]+)*)?",
    re.IGNORECASE,
)
_LONE_SECTION = re.compile(r"§\s*[\d.]+(?:\s*(?:,|and|–|-)\s*§?\s*[\d.]+)*")
# How a claim was checked while the research was gathered: [S] seen, [V] verified, [M] measured, [VERIFY] to check.
_MARKER = re.compile(r"\s*\[(?:S|V|M|VERIFY)\]")
RESEARCH_NOTES = "gluteguard's research notes (listed on the About page)"


def _tidy(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\(\s*[;,:]?\s*\)", "", text)  # an emptied "( )"
        text = re.sub(r"\(\s*[;,:]\s*", "(", text)  # "(; rest" → "(rest"
        text = re.sub(r"\s*[;,:]\s*\)", ")", text)
        text = re.sub(r"^\s*\((.*?)\)\s*(?=;|$)", r"\1", text)  # "(what was in brackets)" left alone at the start
        text = re.sub(r";\s*\((.*?)\)\s*(?=;|$)", r"; \1", text)
        text = re.sub(r"\s*;\s*;\s*", "; ", text)
        text = re.sub(r"^[\s;,:—-]+|[\s;,:—-]+$", "", text)
        text = re.sub(r"\s{2,}", " ", text)
        text = re.sub(r"\s+([,;:.)])", r"\1", text)
    return text


def _as_subject(text: str) -> str:
    """A research file that is the sentence's subject ("gait.md §3.5 gives …") becomes "our research summary"."""
    return re.sub(
        rf"(^|;\s*)(?:{_RESEARCH_FILE.pattern})(?=\s+(?!rules?\b|rows?\b|table\b)[a-z])",
        lambda m: m.group(1) + ("Our research summary" if not m.group(1) else "our research summary"),
        text,
        flags=re.IGNORECASE,
    )


def cited(source: str | None) -> str:
    """A source as a runner reads it: the studies, guidelines and the article, without our research files'
    names, section signs and verification marks; the research notes when nothing else is left."""
    if not source:
        return ""
    text = _as_subject(_MARKER.sub("", source))
    text = _RESEARCH_FILE.sub("", text)
    text = _LONE_SECTION.sub("", text)
    text = _tidy(re.sub(r"\b([\w-]+) rows?\b", r"\1", text))  # "(warm-up row: …)" named a row of a table there
    if not text:
        return RESEARCH_NOTES
    # What is left names no study, guideline or year (only a topic, "warm-up"): say where it comes from.
    return text if re.search(r"[A-Z0-9]", text) else f"{RESEARCH_NOTES}: {text}"


def plain(text: str | None) -> str:
    """A reason or message without a trailing research reference ("… (clinical.md §7)")."""
    if not text:
        return ""
    stripped = _tidy(_LONE_SECTION.sub("", _RESEARCH_FILE.sub("", _as_subject(_MARKER.sub("", text)))))
    return stripped or text
