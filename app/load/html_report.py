"""`chaindeck load --html FILE`: one self-contained page a person opens from a CI artefact or a
mail: the verdict first, then the figures, then the run's seconds as charts drawn by plotly.js,
which the page carries inside, so it needs no network to view."""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path
from typing import Any

from app.load.thresholds import number
from app.resources import frozen, resource_path

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.4rem; } .pass { color: #2e7d32; } .fail { color: #c62828; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: 2px 12px 2px 0;
text-align: left; } th { font-weight: 600; } .muted { color: #777; }
"""


def _n(value: Any) -> str:
    return "—" if value is None else number(float(value))


CHARTS = (
    ("Throughput", "/s", (("requests/s", "rps"), ("failures/s", "failures_s"),
                          ("included tx/s", "included"))),
    ("Latency", "ms", (("p50", "p50"), ("p95", "p95"), ("p99", "p99"))),
    ("Inclusion and delivery", "ms", (("inclusion p95", "inclusion_p95"),
                                      ("block lag p95", "lag_p95"))),
    ("Users", "", (("users", "users"),)),
)  # fmt: skip


def plotly_js() -> str:
    """plotly.js as the plotly package ships it (read, not imported: the page embeds the file;
    the bundle carries it among its resources)."""
    if frozen():
        return resource_path("plotly.min.js").read_text(encoding="utf-8")
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ReportError("HTML reports need plotly (pip install plotly)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return (folder / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


class ReportError(ValueError):
    pass


def charts(ticks: list[dict[str, Any]], prefix: str = "chart", library: bool = True) -> str:
    """The Load tab's charts, one plotly.js plot each, on the run's seconds. `prefix` keeps
    the plots of several runs on one page apart; `library`: carry plotly.js (once a page)."""
    t = [tick["t"] for tick in ticks]
    parts = [f"<script>{plotly_js()}</script>"] if library else []
    for i, (title, unit, series) in enumerate(CHARTS):
        traces = [
            {"x": t, "y": [tick.get(key) for tick in ticks], "name": name, "mode": "lines",
             "type": "scatter", "connectgaps": False}
            for name, key in series
            if any(tick.get(key) is not None for tick in ticks)
        ]  # fmt: skip
        if not traces:
            continue
        layout = {
            "title": {"text": title},
            "height": 280,
            "margin": {"t": 40, "b": 40, "l": 60, "r": 20},
            "xaxis": {"title": {"text": "seconds"}},
            "yaxis": {"title": {"text": unit}, "rangemode": "tozero"},
        }
        parts.append(
            f"<div id='{prefix}{i}'></div><script>Plotly.newPlot('{prefix}{i}', "
            f"{json.dumps(traces)}, {json.dumps(layout)}, {{responsive: true}});</script>"
        )
    return "".join(parts)


def render(report: dict[str, Any], ticks: list[dict[str, Any]]) -> str:
    ok = report.get("ok", False)
    verdict = "passed" if ok else "failed"
    rows = [
        ("target", report["target"]),
        ("scenario", report["scenario"]),
        ("started", report["started"]),
        ("hold", f"{_n(report['hold_s'])} s, up to {report['users']} users, "
                 f"{report['workers']} worker(s)"),
        ("requests", f"{report['requests']:,} ({report['failures']:,} failed), "
                     f"{_n(report['rps'])} req/s"),
        ("latency ms", " · ".join(f"{k} {_n(v)}" for k, v in report["latency_ms"].items())),
    ]  # fmt: skip
    tx = report["transactions"]
    if tx["sent"]:
        rows += [
            ("transfers", f"sent {tx['sent']:,} · accepted {tx['accepted']:,} · rejected "
                          f"{tx['rejected']:,} · included {tx['included']:,} · pending "
                          f"{tx['pending']:,} · dropped {tx['dropped']:,}"),
            ("included", f"{_n(tx['included_tps'])}/s; inclusion ms "
                         + " · ".join(f"{k} {_n(v)}" for k, v in tx["inclusion_ms"].items())),
        ]  # fmt: skip
    generator = report["generator"]
    rows.append(
        (
            "generator",
            f"CPU up to {_n(generator['cpu_pct_max'])} % of a core"
            + (" — saturated: the figures are the tool's limit" if generator["saturated"] else ""),
        )
    )
    thresholds = (
        "".join(
            f"<li class='{'pass' if t['ok'] else 'fail'}'>{html.escape(t['message'])}</li>"
            for t in report.get("thresholds", [])
        )
        or "<li class='muted'>no thresholds</li>"
    )
    errors = "".join(
        f"<tr><td>{count:,}</td><td>{html.escape(error)}</td></tr>"
        for error, count in (report.get("errors") or {}).items()
    )
    figures = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>ChainDeck load run: {verdict}</title><style>{STYLE}</style></head><body>"
        f"<h1>Load run <span class='{'pass' if ok else 'fail'}'>{verdict}</span></h1>"
        f"<ul>{thresholds}</ul><table>{figures}</table>"
        + (f"<h2>Errors</h2><table>{errors}</table>" if errors else "")
        + f"<h2>Second by second</h2>{charts(ticks) if ticks else '<p>no figures</p>'}"
        "</body></html>"
    )


def write_html(path: Path, report: dict[str, Any], ticks: list[dict[str, Any]]) -> None:
    """Written whole or not at all (a half-written report would open as a broken page)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render(report, ticks), encoding="utf-8")
    partial.replace(path)
