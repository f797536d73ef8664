"""Normalizers of the text keys: EMAIL, FN, LN, FI, GEN, CT, MADID, EXTERN_ID.

Each takes a value already cleaned by `clean` (NFC, invisible characters removed,
trimmed, never empty) and returns `(normalized, None)` or `("", reason)`. The rules are
Meta's normalization table (graph-api.md) with the project's readings written in
docs/normalization.md.
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

from shared.normalize_tables import (
    GENDER_WORDS,
    INVALID_EMAIL,
    INVISIBLE_CHARACTERS,
    NO_USABLE_TEXT,
    UNKNOWN_GENDER,
)

Result = tuple[str, str | None]

_NOT_ASCII_LETTER = re.compile(r"[^a-z]+")
_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def clean(raw: str) -> str:
    """NFC, zero-width characters removed, no-break spaces as spaces, trimmed."""
    if raw.isascii():
        return raw.strip()
    text = raw.translate(INVISIBLE_CHARACTERS)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.strip()


def is_digest(text: str) -> bool:
    """True for 64 hex characters: a SHA-256 digest made before the product saw it."""
    return len(text) == 64 and _DIGEST.fullmatch(text) is not None


def ascii_fold(text: str) -> str:
    """Lowercase ASCII transliteration (`São Paulo` -> `sao paulo`)."""
    return (text if text.isascii() else unidecode(text)).lower()


def lowercase(text: str) -> str:
    """Lowercase that stays in NFC (lowering can leave a composable pair behind)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return unicodedata.normalize("NFC", lowered)


def email(text: str) -> Result:
    lowered = lowercase(text)
    local, _, domain = lowered.partition("@")
    if not local or not domain or "@" in domain:
        return "", INVALID_EMAIL
    return lowered, None


def person_name(text: str) -> Result:
    """FN and LN: lowercase letters and combining marks of any script, nothing else.

    Meta says "a-z only" but also accepts UTF-8 letters (`zoë`, `李`); spaces are
    dropped as Meta's pixel does (`Mary Ann` -> `maryann`).
    """
    lowered = text.lower()
    if lowered.isascii():
        kept = _NOT_ASCII_LETTER.sub("", lowered)
    else:
        kept = unicodedata.normalize("NFC", "".join(_letters_and_marks(lowered)))
    return (kept, None) if kept else ("", NO_USABLE_TEXT)


def _letters_and_marks(text: str):
    return (ch for ch in text if unicodedata.category(ch)[0] in "LM")


def first_initial(text: str) -> Result:
    """FI: the first character of the normalized first name (`J.` -> `j`)."""
    name, reason = person_name(text)
    return (name[0], None) if name else ("", reason)


def gender(text: str) -> Result:
    word = _NOT_ASCII_LETTER.sub("", ascii_fold(text))
    code = GENDER_WORDS.get(word)
    return (code, None) if code else ("", UNKNOWN_GENDER)


def city(text: str) -> Result:
    """CT: transliterated, lowercase a-z only (`São Paulo` -> `saopaulo`)."""
    kept = _NOT_ASCII_LETTER.sub("", ascii_fold(text))
    return (kept, None) if kept else ("", NO_USABLE_TEXT)


def ascii_alnum(text: str) -> str:
    """Transliterated, lowercase, letters a-z and digits only."""
    return _NOT_ASCII_ALNUM.sub("", ascii_fold(text))


def madid(text: str) -> Result:
    """Mobile advertiser id: lowercase, hyphens kept, sent unhashed."""
    return lowercase(text), None


def extern_id(text: str) -> Result:
    """The advertiser's own id: sent as given (after the common clean-up)."""
    return text, None
