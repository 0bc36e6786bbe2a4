"""The documented shapes of the benchmark loads' answers and of the Deep Dive's `benchmarks`
block (OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

# The reference file's figures may carry any of DfE's symbols; a band is a letter or a symbol.
BenchmarkFigure = Annotated[
    float | Literal["c", "z", "x", "k", "u"],
    Field(description='A number, or DfE\'s "c", "z", "x" (not available), "k" or "u"'),
]


class ValuesLoaded(BaseModel):
    years: list[int] = Field(description="The years the file gave, each replaced whole")
    rows: int = Field(description="Figures loaded")
    replaced: int = Field(description="Figures those years held before")
    measures: int
    areas: int


class NeighboursLoaded(BaseModel):
    las: list[str] = Field(description="The LAs the file gave, each one's neighbours replaced")
    rows: int = Field(description="Neighbour rows loaded")
    replaced: int = Field(description="Neighbour rows those LAs held before")


class BenchmarkOut(BaseModel):
    year: int
    england: BenchmarkFigure
    region: BenchmarkFigure
    neighbours_mean: BenchmarkFigure
    neighbours_median: BenchmarkFigure
    band: Literal["A", "B", "C", "D", "c", "z", "x", "k", "u"]
    peers_mean: float | None = Field(
        default=None, description="Only with at least 3 consenting peers with a figure"
    )
    peers: int | None = Field(default=None, ge=3)
