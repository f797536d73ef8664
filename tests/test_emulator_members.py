"""Member keys and the compact member set of the Graph API emulator."""

from __future__ import annotations

import hashlib
import random
import tracemalloc

import pytest

from emulator.members import MemberSet, fingerprint, member_key, row_keys

DIGEST = hashlib.sha256(b"mary@example.com").hexdigest()


def _keys(count: int, seed: int = 7) -> list[int]:
    generator = random.Random(seed)
    return [generator.getrandbits(64) for _ in range(count)]


def test_member_key_is_blake2b_of_sorted_non_empty_pairs():
    expected_text = f"EMAIL\x1f{DIGEST}\x1eFN\x1fab\x1e".encode()
    expected = int.from_bytes(
        hashlib.blake2b(expected_text, digest_size=8).digest(), "big"
    )

    key = member_key(["FN", "PHONE", "EMAIL"], ["ab", "", DIGEST])

    assert key == expected


@pytest.mark.parametrize(
    ("schema_a", "row_a", "schema_b", "row_b"),
    [
        (["EMAIL", "FN"], [DIGEST, "x"], ["FN", "EMAIL"], ["x", DIGEST]),
        (["EMAIL"], [DIGEST], ["EMAIL", "PHONE"], [DIGEST, ""]),
        (
            ["EMAIL", "DATA_PROCESSING_OPTIONS"],
            [DIGEST, ["LDU"]],
            ["EMAIL"],
            [DIGEST],
        ),
    ],
    ids=["column-order", "empty-column", "processing-options-ignored"],
)
def test_member_key_ignores_what_does_not_identify(schema_a, row_a, schema_b, row_b):
    assert member_key(schema_a, row_a) == member_key(schema_b, row_b)


def test_member_key_refuses_a_row_without_identifier():
    with pytest.raises(ValueError):
        member_key(["EMAIL", "PHONE"], ["", ""])


def test_row_keys_match_member_key_row_by_row():
    schema = ["PHONE", "EMAIL", "MADID"]
    rows = [["1", DIGEST, ""], ["", "", ""], ["", "", "6d92078a-8246-4ba4-ae5b-7610"]]

    keys = row_keys(schema, rows)

    assert keys == [member_key(schema, rows[0]), None, member_key(schema, rows[2])]


def test_adds_and_removes_apply_in_order():
    members = MemberSet()
    first, second, third = _keys(3)

    members.add([first, second])
    members.remove([second, third])
    members.add([third])
    members.remove([first])
    members.add([first])

    assert sorted(members) == sorted([first, third])


def test_fingerprint_counts_duplicates_once():
    keys = _keys(1000)
    members = MemberSet()
    members.add(keys + keys[:10])

    assert members.fingerprint() == fingerprint(keys)
    assert members.fingerprint()["count"] == 1000


def test_fingerprint_sum_and_xor_are_sixteen_hex_digits():
    keys = [2**64 - 1, 2]

    result = fingerprint(keys)

    assert result == {"count": 2, "sum": f"{1:016x}", "xor": f"{(2**64 - 3):016x}"}


def test_large_set_survives_folds_exactly():
    keys = _keys(600_000)
    members = MemberSet()
    for start in range(0, len(keys), 10_000):
        members.add(keys[start : start + 10_000])
    members.remove(keys[:300_000])

    assert members.fingerprint() == fingerprint(keys[300_000:])
    assert keys[0] not in members and keys[-1] in members


def test_memory_per_member_stays_small():
    keys = _keys(1_000_000, seed=11)
    tracemalloc.start()
    try:
        members = MemberSet()
        for start in range(0, len(keys), 10_000):
            members.add(keys[start : start + 10_000])
        count = len(members)
        used, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 1_000_000
    assert used / count < 12  # a Python set would take about 70 bytes a member
