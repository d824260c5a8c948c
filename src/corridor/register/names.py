"""Names reduced to the tokens a search compares: one spelling per name however it was typed.

The same Persian or Arabic name reaches the register in several spellings that look alike: an Arabic
keyboard types ي and ك where a Persian one types ی and ک, a clerk writes ة or ه, أ or ا, adds vowel
marks or a tatweel to stretch a word, joins a name with a zero-width non-joiner or a space. A search
that compared characters would miss "علي" when "علی" was registered. :func:`tokens` folds those
variants into one form and splits the name into words, so both spellings give the same tokens.

Pure: no Django, no database. :mod:`corridor.register.name_index` keys each token before it is stored.
"""

from __future__ import annotations

import re
import unicodedata

# Letters written differently on Arabic and Persian keyboards, or by habit, folded to one of them.
_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # alef maksura
        "ئ": "ی",  # yeh with hamza
        "ك": "ک",  # Arabic kaf
        "ة": "ه",  # teh marbuta
        "ۀ": "ه",  # heh with yeh above (Persian ezafe)
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",  # alef wasla
        "ؤ": "و",
        "\u200c": " ",  # zero-width non-joiner: "عبد‌الله" and "عبد الله" are the same words
        "\u0640": "",  # tatweel only stretches a word
    }
)
# Arabic-Indic and extended (Persian) digits, as written in a registered name's numbers.
_DIGITS = str.maketrans(
    {**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
)
_WORD = re.compile(r"\w+")


def _unmarked(text: str) -> str:
    """``text`` without combining marks: Arabic harakat, shadda, sukun, superscript alef, Latin accents."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(name: str) -> str:
    """``name`` in its folded form: lower case, no marks, one letter for each family of variants."""
    # NFKC first: presentation forms (ﻋﻠﻲ) and full-width letters become the ordinary letters.
    text = unicodedata.normalize("NFKC", name).casefold()
    # Folded before the marks go: decomposition would split أ into ا and a hamza mark, and آ into ا
    # and a madda, which is the same result, but ئ and ؤ would lose the hamza and become ى and و.
    text = text.translate(_LETTERS)
    text = _unmarked(text)
    # The marks gone, NFC again so that what remains compares by code points; fold once more in case
    # a letter was only reachable through its decomposed form.
    text = unicodedata.normalize("NFC", text).translate(_LETTERS).translate(_DIGITS)
    return " ".join(_WORD.findall(text))


def tokens(name: str) -> list[str]:
    """The distinct words of ``name``, folded, in the order they first appear ("" gives none)."""
    return list(dict.fromkeys(normalise(name).split()))
