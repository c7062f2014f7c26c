"""Text as the catalogue search compares it: lower case, without Vietnamese diacritics, đ as d.

Citizens type "dang ky kinh doanh" on phones without a Vietnamese keyboard, or with one that composes tones
differently ("hoà" and "hòa"); folding both the stored text and the query makes them meet. Decomposing (NFD)
separates every tone and vowel mark from its letter, so dropping the combining marks keeps the bare letter;
đ is a letter of its own in Unicode (it has no decomposition), hence the explicit mapping.
"""

from __future__ import annotations

import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """`text` lower-cased, without diacritics (đ/Đ as d), its whitespace runs collapsed to one space."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.lower().split())


def search_text(*parts: str | None) -> str:
    """What the search matches for a procedure: its code, names and field, folded, in that order."""
    return fold(" ".join(part for part in parts if part))
