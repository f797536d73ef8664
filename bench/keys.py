"""The destinations' mappings the benchmark measures (issue 4)."""

from __future__ import annotations

# The eight keys of the goals: Meta's key columns for email, phone, name and address.
EIGHT_KEYS = {
    "EMAIL": "EMail",
    "PHONE": "Telephone",
    "FN": "FirstName",
    "LN": "LastName",
    "CT": "City",
    "ST": "State",
    "ZIP": "PostCode",
    "COUNTRY": "Country",
}
# Every key the sample generator has a column for.
ALL_KEYS = {
    **EIGHT_KEYS,
    "FI": "FirstName",
    "GEN": "Gender",
    "DOB": "DateOfBirth",
    "EXTERN_ID": "CustomerId",
}
