"""A trend plot of one measurement over time (a vital sign or a lab test): lines on a date axis,
the normal range as a shaded band, point markers only when there are few points, and a range
selector (1 year, 5 years, all) so that years of data stay readable."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PySide6.QtCharts import (
    QAreaSeries,
    QCategoryAxis,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

YEARS_FROM = timedelta(days=6 * 365)  # a longer span is labelled by year
MARKERS_UP_TO = 40  # more points than this in view: a line without markers
FLAGGED_MARKERS_UP_TO = 400  # abnormal values are marked red up to this many points in view
RANGES: list[tuple[str, int | None]] = [("1 year", 365), ("5 years", 5 * 365), ("All", None)]
COLOURS = ["#1f5fa8", "#b0442c", "#2e7d32", "#6a3d9a"]
BAND_COLOURS = ["#cfe3f7", "#f6d9d1", "#d7ecd8", "#e4d9ef"]
FLAGGED_COLOUR = "#b00020"


@dataclass(frozen=True)
class PlotLine:
    """One line of the plot: a name for the legend, points oldest first, its normal band."""

    name: str
    points: list[tuple[datetime, float]]
    band: tuple[float, float] | None = None
    flagged: list[tuple[datetime, float]] = field(default_factory=list)
    dashed: bool = False  # the patient's own measurements (PHR), beside the clinic's
    colour_index: int | None = None  # the same colour as another line


def _ms(when: datetime) -> float:
    return when.timestamp() * 1000.0


class TrendPlot(QWidget):
    """`set_lines(title, unit, lines)` shows the data; the range buttons choose the period."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trendPlot")
        self._title = ""
        self._unit = ""
        self._lines: list[PlotLine] = []
        self._days: int | None = None

        self.chart = QChart()
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        # Axes made once and kept: axes removed from a QChart may still be drawn.
        self.x_axis = QDateTimeAxis()
        self.x_axis.setTickCount(7)
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%g")
        self.year_axis = QCategoryAxis()
        self.year_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.year_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(220)

        self.range_buttons = QButtonGroup(self)
        ranges = QHBoxLayout()
        ranges.addWidget(QLabel("Show:"))
        for index, (label, days) in enumerate(RANGES):
            button = QRadioButton(label)
            button.setObjectName(f"range{index}")
            button.setChecked(days is None)
            self.range_buttons.addButton(button, index)
            ranges.addWidget(button)
        ranges.addStretch(1)
        self.empty = QLabel()
        self.empty.setObjectName("plotEmpty")
        ranges.addWidget(self.empty)
        self.range_buttons.idToggled.connect(self._range_toggled)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(ranges)
        layout.addWidget(self.view, 1)

    # --- data ---------------------------------------------------------------------------------

    def set_lines(self, title: str, unit: str, lines: list[PlotLine]) -> None:
        self._title, self._unit, self._lines = title, unit, lines
        self._draw()

    def set_range(self, days: int | None) -> None:
        """1 year (365), 5 years, or None for all the data."""
        for index, (_label, span) in enumerate(RANGES):
            if span == days:
                self.range_buttons.button(index).setChecked(True)

    def _range_toggled(self, index: int, checked: bool) -> None:
        if checked:
            self._days = RANGES[index][1]
            self._draw()

    def line_series(self) -> dict[str, QLineSeries]:
        """The plotted lines by name (what the plot shows, for tests and for looking)."""
        return {
            s.name(): s
            for s in self.chart.series()
            if isinstance(s, QLineSeries) and not isinstance(s, QScatterSeries) and s.name()
        }

    # --- drawing ------------------------------------------------------------------------------

    def _visible(self, points: list[tuple[datetime, float]], start: datetime | None):
        if start is None:
            return points
        return [p for p in points if p[0] >= start]

    def _draw(self) -> None:
        chart = self.chart
        chart.removeAllSeries()
        self._band_lines: list[QLineSeries] = []
        chart.setTitle(f"{self._title} ({self._unit})" if self._unit else self._title)

        newest = max((p[0] for line in self._lines for p in line.points), default=None)
        start = None
        if self._days is not None and newest is not None:
            start = newest - timedelta(days=self._days)
        shown = [(line, self._visible(line.points, start)) for line in self._lines]
        everything = [p for _line, points in shown for p in points]
        if not everything:
            self.x_axis.setVisible(False)
            self.year_axis.setVisible(False)
            self.y_axis.setVisible(False)
            self.empty.setText(
                "No values recorded." if newest is None else "No values in this period."
            )
            return
        self.empty.setText(f"{len(everything)} values")

        first = min(p[0] for p in everything)
        last = max(p[0] for p in everything)
        if start is not None:
            first = start
        if last - first < timedelta(days=2):
            first, last = first - timedelta(days=1), last + timedelta(days=1)
        by_year = last - first > YEARS_FROM
        x_axis = self.year_axis if by_year else self.x_axis
        y_axis = self.y_axis
        self.year_axis.setVisible(by_year)
        self.x_axis.setVisible(not by_year)
        y_axis.setVisible(True)
        if by_year:
            self._label_years(first, last)
        else:
            self.x_axis.setFormat(self._date_format(last - first))
            self.x_axis.setRange(
                QDateTime.fromMSecsSinceEpoch(int(_ms(first))),
                QDateTime.fromMSecsSinceEpoch(int(_ms(last))),
            )
        y_axis.setTitleText(self._unit)

        values = [v for _when, v in everything]
        x_from, x_to = _ms(first), _ms(last)
        for index, (line, _points) in enumerate(shown):
            if line.band is not None:
                self._add_band(line.band, x_from, x_to, BAND_COLOURS[index % len(BAND_COLOURS)])
                values += list(line.band)
        for index, (line, points) in enumerate(shown):
            colour = COLOURS[
                (index if line.colour_index is None else line.colour_index) % len(COLOURS)
            ]
            self._add_line(line, points, colour, len(everything))
        flagged = [p for line, _ in shown for p in self._visible(line.flagged, start)]
        if flagged and len(everything) <= FLAGGED_MARKERS_UP_TO:
            self._add_flagged(flagged)
        for series in chart.series():
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
        low, high = min(values), max(values)
        pad = (high - low) * 0.08 or max(abs(high) * 0.05, 1.0)
        y_axis.setRange(low - pad, high + pad)
        y_axis.applyNiceNumbers()
        for marker in chart.legend().markers():
            if not marker.series().name():
                marker.setVisible(False)

    def _label_years(self, first: datetime, last: datetime) -> None:
        """Years of data: a label on each 1 January (every few years when there are many), as
        evenly spaced date ticks would put a year's label on 31 December of the year before."""
        axis = self.year_axis
        for label in axis.categoriesLabels():
            axis.remove(label)
        step = math.ceil((last.year - first.year + 1) / 10)
        axis.setRange(_ms(first), _ms(last))
        axis.setStartValue(_ms(first))
        for year in range(first.year + 1, last.year + 1):
            if year % step == 0:
                axis.append(str(year), _ms(datetime(year, 1, 1)))

    @staticmethod
    def _date_format(span: timedelta) -> str:
        if span > timedelta(days=120):
            return "MMM yyyy"
        return "d MMM yy"

    def _add_band(self, band: tuple[float, float], x_from: float, x_to: float, colour: str):
        upper, lower = QLineSeries(), QLineSeries()
        upper.replace([QPointF(x_from, band[1]), QPointF(x_to, band[1])])
        lower.replace([QPointF(x_from, band[0]), QPointF(x_to, band[0])])
        area = QAreaSeries(upper, lower)
        area.setName("")
        fill = QColor(colour)
        fill.setAlpha(170)
        area.setBrush(QBrush(fill))
        area.setPen(QPen(Qt.PenStyle.NoPen))
        self.chart.addSeries(area)
        self._band_lines += [upper, lower]  # the QAreaSeries does not own its boundary lines

    def _add_line(self, line: PlotLine, points, colour: str, visible_count: int) -> None:
        series = QLineSeries()
        series.setName(line.name)
        series.replace([QPointF(_ms(when), value) for when, value in points])
        pen = QPen(QColor(colour))
        pen.setWidthF(2.0 if visible_count <= 300 else 1.2)
        if line.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        series.setPen(pen)
        series.setPointsVisible(line.dashed or visible_count <= MARKERS_UP_TO)
        self.chart.addSeries(series)

    def _add_flagged(self, points: list[tuple[datetime, float]]) -> None:
        series = QScatterSeries()
        series.setName("Outside normal")
        series.setMarkerSize(7.0)
        series.setColor(QColor(FLAGGED_COLOUR))
        series.setBorderColor(QColor(FLAGGED_COLOUR))
        series.replace([QPointF(_ms(when), value) for when, value in points])
        self.chart.addSeries(series)
