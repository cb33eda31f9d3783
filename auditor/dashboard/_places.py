"""Coordinates of the places figures are about, from the bundled gazetteer (never the network)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..gazetteer import default_gazetteer

COORDINATE_COLUMNS = ["location", "lat", "lon"]


def place_coordinates(names: Iterable[str]) -> pd.DataFrame:
    """``location, lat, lon`` for every name the gazetteer knows; unknown names are left out."""
    gazetteer = default_gazetteer()
    rows = []
    for name in names:
        place = gazetteer.lookup(name)
        if place is not None:
            rows.append({"location": name, "lat": float(place.lat), "lon": float(place.lon)})
    return pd.DataFrame(rows, columns=COORDINATE_COLUMNS)
