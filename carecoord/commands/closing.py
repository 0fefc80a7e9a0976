"""The closing text of `carecoord up` (and so of `make demo`): one URL or login per line.

Each entry is printed without wrapping, so a terminal never breaks a URL or the demo login across lines
(a narrow terminal cuts the line at its edge instead; copying it still yields the whole text).
"""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 26


@dataclass(frozen=True)
class Closing:
    """What `up` started, as the lines a person copies from."""

    api_port: int
    console_port: int
    fhir_url: str
    demo_login: tuple[str, str] | None = None
    """User name and password of the demo clinician (demo mode only)."""
    stores: str | None = None
    chroma_url: str | None = None

    def entries(self) -> list[tuple[str, str]]:
        """(label, value) pairs in the order they are printed."""
        entries = [
            ("Patient chat (demo page)", f"http://127.0.0.1:{self.api_port}/"),
            ("API docs", f"http://127.0.0.1:{self.api_port}/docs"),
            ("Clinician console", f"http://127.0.0.1:{self.console_port}/"),
        ]
        if self.demo_login is not None:
            entries.append(("Console login (demo)", f"{self.demo_login[0]} / {self.demo_login[1]}"))
        entries.append(("FHIR sandbox", self.fhir_url))
        if self.stores:
            entries.append(("Stores", self.stores))
        if self.chroma_url:
            entries.append(("Knowledge index (Chroma)", self.chroma_url))
        entries.append(("Stop everything", "make stop   (or: carecoord down)"))
        return entries

    def lines(self) -> list[str]:
        """`  <label padded>  <value>`, one per entry."""
        return [f"  {label:<{LABEL_WIDTH}}{value}" for label, value in self.entries()]
