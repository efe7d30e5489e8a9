"""Which atlas tables hold counts of children in care, how protected values are marked, and a shown value's status.

The pipeline writes these marks (etl.protect and the stages built on it) and the app reads them; both take
the names from here, so a table the app treats as public is one the pipeline never marked sensitive.
"""

from __future__ import annotations

DEFAULT_THRESHOLD = 5  # counts 1 … threshold-1 are hidden; used for atlases whose manifest names no threshold
SUPPRESSED_SUFFIX = "__onderdrukt"  # <column>__onderdrukt: True where the value is hidden
REASON_SUFFIX = "__reden"  # <column>__reden: why it is hidden
PRIMARY = "primair"
SECONDARY = "secundair"
# The status of one value the app or an export shows: a value, no data, or hidden by the protection.
OK, MISSING, SUPPRESSED = "ok", "missing", "suppressed"

# The caseloads and everything computed from them per child: an uploaded caseload file replaces these.
CASELOAD_PREFIXES = ("caseloads_", "referrals_", "referral_")
HOTSPOT_PREFIXES = ("hotspots_",)
# Every table whose name starts so is protected before it is shown, or not shown at all.
SENSITIVE_PREFIXES = (*CASELOAD_PREFIXES, *HOTSPOT_PREFIXES)
