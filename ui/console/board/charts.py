"""Altair charts of a board concept over time: reference range band, line, linked points, latest highlighted.

Each point carries the URL of its Observation (`href`): clicking it opens the FHIR resource.
"""

from __future__ import annotations

import altair as alt
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

from ui.console.board.model import Chart, Series

HEIGHT = 170
IN_RANGE = "#1a73e8"
OUT_OF_RANGE = "#c5221f"
BAND = "#34a853"


def frame(chart: Chart, resource_url: str) -> pd.DataFrame:
    """One row per reading: date, value, series label, link, and whether it is each series' latest."""
    rows = [
        {
            "when": reading.when,
            "value": reading.value,
            "series": series.label,
            "unit": series.unit,
            "href": f"{resource_url.rstrip('/')}/{reading.reference}",
            "latest": reading is series.latest,
            "out": series.range is not None and not series.range.contains(reading.value),
        }
        for series in chart.series
        for reading in series.readings
    ]
    return pd.DataFrame(rows, columns=["when", "value", "series", "unit", "href", "latest", "out"])


def _bands(series: tuple[Series, ...]) -> pd.DataFrame:
    rows = [
        {"series": s.label, "low": s.range.low, "high": s.range.high}
        for s in series
        if s.range is not None and (s.range.low is not None or s.range.high is not None)
    ]
    return pd.DataFrame(rows, columns=["series", "low", "high"])


def trend(chart: Chart, resource_url: str) -> alt.LayerChart:
    """The concept's chart: a shaded normal range, the readings as a line with points, the latest ringed."""
    data = frame(chart, resource_url)
    unit = chart.series[0].unit
    x = alt.X("when:T", title=None)
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    colour = alt.Color(
        "series:N", legend=alt.Legend(orient="bottom", title=None) if len(chart.series) > 1 else None
    )
    tooltip = [
        alt.Tooltip("when:T", title="date", format="%Y-%m-%d"),
        alt.Tooltip("value:Q", title=unit),
        alt.Tooltip("series:N", title="test"),
    ]
    base = alt.Chart(data)
    layers: list[alt.Chart] = []
    bands = _bands(chart.series)
    if not bands.empty:
        low = bands["low"].fillna(data["value"].min()).astype(float)
        high = bands["high"].fillna(data["value"].max()).astype(float)
        bands = bands.assign(low=low, high=high)
        layers.append(alt.Chart(bands).mark_rect(color=BAND, opacity=0.10).encode(y="low:Q", y2="high:Q"))
    layers.append(base.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=colour))
    layers.append(
        base.mark_circle(size=28, opacity=0.8).encode(x=x, y=y, color=colour, href="href:N", tooltip=tooltip)
    )
    latest = base.transform_filter(alt.datum.latest)
    layers.append(
        latest.mark_point(size=160, filled=False, strokeWidth=2.5).encode(
            x=x,
            y=y,
            href="href:N",
            tooltip=tooltip,
            color=alt.condition(alt.datum.out, alt.value(OUT_OF_RANGE), alt.value(IN_RANGE)),
        )
    )
    layers.append(
        latest.mark_text(align="left", dx=9, dy=-9, fontWeight="bold").encode(
            x=x,
            y=y,
            text=alt.Text("value:Q", format=".4~g"),
            color=alt.condition(alt.datum.out, alt.value(OUT_OF_RANGE), alt.value(IN_RANGE)),
        )
    )
    return alt.LayerChart(layer=layers).properties(height=HEIGHT)  # the page titles it (readable text)
