"""A dense, inpatient-like stretch of results: dozens of readings a day for weeks (thousands in all).

A clinic record holds a few dozen results; a hospital stay holds thousands (hourly vitals, four finger
sticks a day, a morning chemistry panel). Record questions must stay right and fast on such a record:
"what was my blood sugar yesterday", "my average potassium this month" must page the whole window, not
the newest sixty. Vitals come from the flowsheet (LOINC); the hospital lab sends its own local codes
(`local_codes.yaml`), so one record mixes both codings, as records that cross systems do.

Readings are taken between 05:00 and 18:00 clinic time, so every one falls on the same calendar day in
the clinic's zone and in UTC ("yesterday" means the same readings for either clock).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from tools.sandbox.cohort.chart import Chart
from tools.sandbox.cohort.codings import recode
from tools.sandbox.cohort.fhirjson import at, base
from tools.sandbox.cohort.model import FhirResource

UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


@dataclass(frozen=True)
class Series:
    """One measurement taken at fixed clinic times each day, drifting inside [low, high]."""

    loinc: str
    display: str
    unit: str
    low: float
    high: float
    times: tuple[str, ...]
    category: str
    decimals: int = 0
    local: bool = False
    """Written with the hospital lab's local code rather than LOINC."""


HOURLY = tuple(f"{h:02d}:00" for h in range(5, 19))
SERIES = (
    Series("8867-4", "Heart rate", "/min", 58, 112, HOURLY, "vital-signs"),
    Series("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 90, 99, HOURLY, "vital-signs"),
    Series("8310-5", "Body temperature", "Cel", 36.3, 38.4, ("06:00", "10:00", "14:00", "18:00"), "vital-signs", 1),
    Series("9279-1", "Respiratory rate", "/min", 12, 24, ("06:00", "10:00", "14:00", "18:00"), "vital-signs"),
    Series("29463-7", "Body weight", "kg", 84, 92, ("06:00",), "vital-signs", 1),
    Series("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 68, 286, ("07:00", "11:00", "16:00", "18:00"),
           "laboratory", local=True),
    Series("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.2, 5.6, ("05:00",), "laboratory", 1,
           local=True),
    Series("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 131, 146, ("05:00",), "laboratory",
           local=True),
    Series("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.9, 2.4, ("05:00",), "laboratory", 2,
           local=True),
    Series("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 12, 48, ("05:00",), "laboratory",
           local=True),
    Series("19123-9", "Magnesium [Mass/volume] in Serum or Plasma", "mg/dL", 1.5, 2.6, ("05:00",), "laboratory", 1,
           local=True),
)  # fmt: skip
BLOOD_PRESSURE_TIMES = ("06:00", "08:00", "10:00", "12:00", "14:00", "16:00", "18:00")


def add_inpatient_stay(chart: Chart, days: int) -> None:
    """Readings on each of the `days` days before today (today itself has none yet)."""
    rng = random.Random(f"carecoord:{chart.seed}:inpatient:{chart.index}")
    levels = {s.loinc: rng.uniform(s.low, s.high) for s in SERIES}
    for back in range(days, 0, -1):
        day = chart.today - timedelta(days=back)
        for series in SERIES:
            for hhmm in series.times:
                span = series.high - series.low
                level = levels[series.loinc] + rng.uniform(-0.12, 0.12) * span
                levels[series.loinc] = min(series.high, max(series.low, level))
                value = round(levels[series.loinc], series.decimals)
                chart.add(_reading(chart, series, at(day, hhmm), value))
        for hhmm in BLOOD_PRESSURE_TIMES:
            chart.add(_blood_pressure(chart, at(day, hhmm), rng.randint(102, 164), rng.randint(58, 96)))


def _head(chart: Chart, category: str, when: str, code: FhirResource, summary: str) -> FhirResource:
    observation = base("Observation", chart.new_id("inpatient-obs"), summary)
    observation.update(
        status="final",
        category=[{"coding": [{"system": CATEGORY, "code": category}]}],
        code=code,
        subject=chart.subject,
        effectiveDateTime=when,
    )
    return observation


def _quantity(value: float, unit: str) -> dict[str, object]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _reading(chart: Chart, series: Series, when: str, value: float) -> FhirResource:
    code: FhirResource = {"coding": [{"system": "http://loinc.org", "code": series.loinc, "display": series.display}],
            "text": series.display}  # fmt: skip
    observation = _head(chart, series.category, when, code, f"{series.display}: {value} {series.unit}.")
    observation["valueQuantity"] = _quantity(value, series.unit)
    return recode(observation, "local") if series.local else observation


def _blood_pressure(chart: Chart, when: str, systolic: int, diastolic: int) -> FhirResource:
    def part(loinc: str, display: str, value: int) -> dict[str, object]:
        return {"code": {"coding": [{"system": "http://loinc.org", "code": loinc, "display": display}]},
                "valueQuantity": _quantity(value, "mm[Hg]")}  # fmt: skip

    code: FhirResource = {"coding": [{"system": "http://loinc.org", "code": "85354-9",
                        "display": "Blood pressure panel with all children optional"}], "text": "Blood pressure"}  # fmt: skip
    observation = _head(chart, "vital-signs", when, code, f"Blood pressure {systolic}/{diastolic} mmHg.")
    observation["component"] = [
        part("8480-6", "Systolic blood pressure", systolic),
        part("8462-4", "Diastolic blood pressure", diastolic),
    ]
    return observation
