"""Coordinates of the places figures are about, from the bundled gazetteer (never the network)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

COORDINATE_COLUMNS = ["location", "lat", "lon"]


def place_coordinates(names: Iterable[str]) -> pd.DataFrame:
    """``location, lat, lon`` for every name the gazetteer knows; unknown names are left out."""
    try:
        from ..gazetteer import default_gazetteer
    except ImportError:  # the gazetteer stage is not installed: the map says it has no places
        return pd.DataFrame(columns=COORDINATE_COLUMNS)
    gazetteer = default_gazetteer()
    rows = []
    for name in names:
        place = gazetteer.lookup(name)
        if place is not None and place.lat is not None and place.lon is not None:
            rows.append({"location": name, "lat": float(place.lat), "lon": float(place.lon)})
    return pd.DataFrame(rows, columns=COORDINATE_COLUMNS)
