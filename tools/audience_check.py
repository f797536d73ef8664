"""Is the emulator's audience exactly the segment? Checked without the product's code.

The expected file of the sample generator holds, per profile, what Meta should
receive before hashing, built from the clean values the profile started from. Here it
is hashed as Meta documents (SHA-256 of the UTF-8 text; MADID and EXTERN_ID are sent
as they are; an empty value stays empty), projected on the keys the destination maps,
filtered by the destination's key identifier, and turned into the emulator's member
keys; the emulator's fingerprint of the audience must then be identical.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator

from emulator.members import fingerprint, member_key

UNHASHED = frozenset({"MADID", "EXTERN_ID"})
REQUIRED = {
    "email": (("EMAIL",),),
    "phone": (("PHONE",),),
    "name_address": (("FN", "LN", "ZIP"), ("FN", "LN", "CT", "ST")),
}


def sent_keys(mapping: dict[str, str]) -> list[str]:
    keys = []
    for key in sorted(mapping):
        keys += ["DOBY", "DOBM", "DOBD"] if key == "DOB" else [key]
    return keys


def _hashed(key: str, value: str) -> str:
    if not value or key in UNHASHED:
        return value
    if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value
    return hashlib.sha256(value.encode()).hexdigest()


def expected_rows(path, mapping: dict, key_identifier: str) -> Iterator[list[str]]:
    keys = sent_keys(mapping)
    needs = REQUIRED[key_identifier]
    with open(path, newline="", encoding="utf-8") as stream:
        for profile in csv.DictReader(stream):
            if not any(all(profile[k] for k in group) for group in needs):
                continue
            yield [_hashed(key, profile[key]) for key in keys]


def expected_fingerprint(path, mapping: dict, key_identifier: str) -> dict:
    keys = sent_keys(mapping)
    members = {
        member_key(keys, row) for row in expected_rows(path, mapping, key_identifier)
    }
    return fingerprint(members)
