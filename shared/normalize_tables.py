"""Small hand-kept tables used by identifier normalization.

Everything that a maintained library knows (ISO 3166 names and codes, US states, phone
metadata) comes from `pycountry` and `phonenumbers`; only what those libraries cannot
know lives here: the reasons a value is left out, everyday country aliases, gender words
and English month names.
"""

from __future__ import annotations

# Reasons a value is left out of its row, or a row is skipped. They are counted in the
# run log by Meta key and reason, so the set stays small and every member is documented
# in docs/normalization.md.
INVALID_EMAIL = "invalid_email"
INVALID_PHONE = "invalid_phone"
MISSING_COUNTRY = "missing_country"
UNKNOWN_COUNTRY = "unknown_country"
UNKNOWN_STATE = "unknown_state"
INVALID_ZIP = "invalid_zip"
UNKNOWN_GENDER = "unknown_gender"
INVALID_DATE = "invalid_date"
AMBIGUOUS_DATE = "ambiguous_date"
NO_USABLE_TEXT = "no_usable_text"

VALUE_REASONS = (
    INVALID_EMAIL,
    INVALID_PHONE,
    MISSING_COUNTRY,
    UNKNOWN_COUNTRY,
    UNKNOWN_STATE,
    INVALID_ZIP,
    UNKNOWN_GENDER,
    INVALID_DATE,
    AMBIGUOUS_DATE,
    NO_USABLE_TEXT,
)

# Reasons a whole row is skipped: nothing left for the destination's key identifier.
NO_EMAIL = "no_email"
NO_PHONE = "no_phone"
NO_NAME_ADDRESS = "no_name_address"
NO_IDENTIFIER = "no_identifier"

SKIP_REASONS = (NO_EMAIL, NO_PHONE, NO_NAME_ADDRESS, NO_IDENTIFIER)

# Characters removed before trimming (zero-width space, non-joiner, joiner, word joiner,
# byte-order mark) and no-break spaces read as ordinary spaces: spreadsheets and web
# forms leave them around values, and Meta's table asks for trimmed values.
INVISIBLE_CHARACTERS = str.maketrans(
    {
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
    }
)

# Country spellings that ISO 3166 and its translations do not carry. Keys are written
# the way lookup keys are built: lowercase letters and digits only, accents kept.
COUNTRY_ALIASES = {
    "uk": "gb",
    "greatbritain": "gb",
    "britain": "gb",
    "england": "gb",
    "scotland": "gb",
    "wales": "gb",
    "northernireland": "gb",
    "usa": "us",
    "america": "us",
    "deutschland": "de",
    "sverige": "se",
    "españa": "es",
    "holland": "nl",
    "thenetherlands": "nl",
    "россия": "ru",
    "russia": "ru",
    "czechrepublic": "cz",
    "ivorycoast": "ci",
    "uae": "ae",
    "turkey": "tr",
    "macedonia": "mk",
    "swaziland": "sz",
    "burma": "mm",
    "capeverde": "cv",
    "vatican": "va",
    "vaticancity": "va",
    "palestine": "ps",
    "brunei": "bn",
    "micronesia": "fm",
    "southkorea": "kr",
    "northkorea": "kp",
    "drc": "cd",
    "drcongo": "cd",
    "schweiz": "ch",
    "suisse": "ch",
    "svizzera": "ch",
    "österreich": "at",
    "italia": "it",
    "brasil": "br",
    "méxico": "mx",
    "danmark": "dk",
    "norge": "no",
    "suomi": "fi",
    "polska": "pl",
    "nederland": "nl",
    "belgië": "be",
    "belgique": "be",
    "éire": "ie",
}

# US state spellings that pycountry's subdivision names do not cover.
US_STATE_ALIASES = {"washingtondc": "dc"}

# Gender words of the languages the product serves, written without accents (values
# are transliterated before the lookup). Meta accepts only `m` and `f`.
GENDER_WORDS = {
    "m": "m",
    "f": "f",
    # English
    "male": "m",
    "female": "f",
    "man": "m",
    "woman": "f",
    # German (`w` is the usual short form on German forms)
    "mannlich": "m",
    "maennlich": "m",
    "weiblich": "f",
    "mann": "m",
    "frau": "f",
    "w": "f",
    # French
    "homme": "m",
    "femme": "f",
    "masculin": "m",
    "feminin": "f",
    # Spanish and Portuguese
    "hombre": "m",
    "mujer": "f",
    "masculino": "m",
    "femenino": "f",
    "feminino": "f",
    "homem": "m",
    "mulher": "f",
    # Swedish, Danish and Norwegian
    "kvinna": "f",
    "mand": "m",
    "kvinde": "f",
    "kvinne": "f",
    # Italian
    "maschio": "m",
    "femmina": "f",
    "uomo": "m",
    "donna": "f",
    # Dutch
    "vrouw": "f",
}

MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

# Words that may sit beside a day and a month name without changing the date
# ("28th of February 1990").
DATE_FILLER_WORDS = frozenset({"st", "nd", "rd", "th", "of"})
