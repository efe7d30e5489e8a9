"""Small-count protection for everything the app sends: a thin adapter over etl.protect, the one protection function.

Fail closed: while the atlas or the installed etl has no protection function, protected indicators are
hidden rather than shown unprotected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from dashboard.data import AtlasView
    from dashboard.indicators import Indicator
    from dashboard.values import Selection


def protection_available() -> bool:
    try:
        import etl.protect  # noqa: F401
    except ImportError:
        return False
    return True


def protect_indicator(
    view: AtlasView, ind: Indicator, sel: Selection, values: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """(values with suppressed ones set to NaN, the suppression mask), via etl.protect."""
    raise NotImplementedError("etl.protect has not landed yet")
