"""Results as pandas DataFrames; pandas stays optional (imported only when a frame is asked for).

Every result with a ``to_frame()`` also has ``to_dict()``: the same columns as a plain mapping
(``{column: values}``) that ``pandas.DataFrame(...)``, polars or ``csv.DictWriter`` rows accept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from molgan.errors import InputError


def to_frame(columns: Mapping[str, Sequence[Any]], index: Sequence[Any] | None = None) -> Any:
    """A ``pandas.DataFrame`` of ``columns`` (in their order) with ``index``; an :class:`InputError`
    saying how to install pandas when it is missing."""
    try:
        import pandas
    except ImportError:
        raise InputError("to_frame() needs pandas, which is not installed: pip install pandas (to_dict() needs nothing)") from None
    return pandas.DataFrame(dict(columns), index=None if index is None else list(index))


def index_of(items: Any) -> list[Any] | None:
    """The index labels of a pandas Series (or anything with a non-callable ``index``), else ``None``."""
    index = getattr(items, "index", None)
    return None if index is None or callable(index) else list(index)
