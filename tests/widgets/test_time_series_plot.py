"""The one live plot: an unknown value is a gap (an outage is not drawn as a line across it), a
graph with no figure says so, and a ring is drawn only when it changed."""

from __future__ import annotations

import numpy as np
from pytestqt.qtbot import QtBot

from app.health.series import METRICS
from app.ring_buffer import RingBuffer
from widgets.health_panel import HealthGraph
from widgets.time_series_plot import TimeSeriesPlot


def test_an_outage_is_a_gap_not_a_line(qtbot: QtBot) -> None:
    graph = HealthGraph("Latency", "ms", ("latency_p50", "latency_p95"))
    qtbot.addWidget(graph)
    t = np.arange(100.0, 110.0)
    values = np.full((10, len(METRICS)), np.nan)
    p50 = METRICS.index("latency_p50")
    values[:, p50] = [6, 6, 7, 6, np.nan, np.nan, np.nan, 14, 6, 6]  # down for 3 s
    assert graph.show_data(t, values)
    x, y = graph.curves[0].getData()
    assert len(x) == 10 and np.isnan(y[4:7]).all()  # kept, so connect="finite" breaks there
    assert graph.curves[0].opts["connect"] == "finite"
    assert graph.viewRange()[1][1] >= 14  # the scale fits the known figures
    p95_x, _ = graph.curves[1].getData()
    assert p95_x is None or len(p95_x) == 10


def test_a_graph_with_no_figure_says_so(qtbot: QtBot) -> None:
    graph = HealthGraph("Peers", "", ("peers",))
    qtbot.addWidget(graph)
    values = np.full((5, len(METRICS)), np.nan)
    assert not graph.show_data(np.arange(5.0), values)
    assert not graph.show_data(np.zeros(0), np.zeros((0, len(METRICS))))


def test_a_ring_is_drawn_once_per_change(qtbot: QtBot) -> None:
    ring = RingBuffer(4)
    plot = TimeSeriesPlot("Transactions per second", "tx/s", x_label="s")
    qtbot.addWidget(plot)
    for i in range(6):
        ring.append(float(i), float(i * 10))
    assert plot.show_ring(ring) and not plot.show_ring(ring)
    x, y = plot.curves[0].getData()
    assert x.tolist() == [2.0, 3.0, 4.0, 5.0] and y.tolist() == [20.0, 30.0, 40.0, 50.0]
    ring.append(6.0, 5.0)
    assert plot.show_ring(ring) and plot.draws == 2


def test_deployment_marks_land_on_the_load_charts_run_clock(qtbot: QtBot) -> None:
    from widgets.load_charts import LoadCharts

    charts = LoadCharts()
    qtbot.addWidget(charts)
    ticks = [{"t": i, "at": 1_000 + i, "rps": 1.0, "phase": "hold"} for i in range(10)]
    charts.set_marks([(900.0, "too early"), (1_004.0, "upgrade lab producer")])
    charts.show_ticks(ticks)
    lines = charts.throughput.mark_lines
    assert [(line.value(), line.toolTip()) for line in lines] == [(4.0, "upgrade lab producer")]
    assert all(len(plot.mark_lines) == 1 for plot in charts.plots)


def test_an_empty_plot_shows_no_made_up_axes(qtbot: QtBot) -> None:
    plot = TimeSeriesPlot("Tx/s", "tx/s")
    qtbot.addWidget(plot)
    assert plot.empty and plot.empty_text.isVisible()
    assert not plot.getAxis("left").style["showValues"]
    plot.show_series(np.arange(3.0), np.array([1.0, 2.0, 3.0]))
    assert not plot.empty and not plot.empty_text.isVisible()
    assert plot.getAxis("left").style["showValues"]
    plot.show_series(np.arange(3.0), np.full(3, np.nan))
    assert plot.empty


def test_stacked_plots_line_up_whatever_their_figures(qtbot: QtBot) -> None:
    small, big = TimeSeriesPlot("Peers", ""), TimeSeriesPlot("Tx/s", "tx/s")
    for plot in (small, big):
        qtbot.addWidget(plot)
        plot.resize(600, 200)
        plot.show()
    small.show_series(np.arange(3.0), np.array([1.0, 2.0, 3.0]))
    big.show_series(np.arange(3.0), np.array([1e6, 2e6, 3e6]))
    qtbot.wait(50)
    left = [p.getPlotItem().getViewBox().sceneBoundingRect().left() for p in (small, big)]
    assert left[0] == left[1]
