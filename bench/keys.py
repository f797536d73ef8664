"""The destinations' mappings the benchmark measures (issue 4)."""

from __future__ import annotations

from tools.sample_segment import META_MAPPING

# The eight keys of the goals: Meta's key columns for email, phone, name and address.
EIGHT_KEYS = {
    key: META_MAPPING[key]
    for key in ("EMAIL", "PHONE", "FN", "LN", "CT", "ST", "ZIP", "COUNTRY")
}
# Every key the sample generator has a column for.
ALL_KEYS = dict(META_MAPPING)
