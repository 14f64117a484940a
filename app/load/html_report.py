"""`chaindeck load --html FILE`: one self-contained page a person opens from a CI artefact or a
mail: the verdict first, then the figures, then the run's seconds as charts (plotly, its
JavaScript inside the page, so it needs no network to view)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from app.load.thresholds import number

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.4rem; } .pass { color: #2e7d32; } .fail { color: #c62828; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: 2px 12px 2px 0;
text-align: left; } th { font-weight: 600; } .muted { color: #777; }
"""


def _n(value: Any) -> str:
    return "—" if value is None else number(float(value))


def charts(ticks: list[dict[str, Any]]) -> str:
    """The four charts of the Load tab, on one shared time axis."""
    import plotly.graph_objects as go  # only a report needs it
    from plotly.subplots import make_subplots

    t = [tick["t"] for tick in ticks]
    figure = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        subplot_titles=("Throughput (/s)", "Latency (ms)", "Inclusion and delivery (ms)", "Users"),
        vertical_spacing=0.06,
    )
    series = (
        (1, "requests/s", "rps"),
        (1, "failures/s", "failures_s"),
        (1, "included tx/s", "included"),
        (2, "p50", "p50"),
        (2, "p95", "p95"),
        (2, "p99", "p99"),
        (3, "inclusion p95", "inclusion_p95"),
        (3, "block lag p95", "lag_p95"),
        (4, "users", "users"),
    )
    for row, name, key in series:
        values = [tick.get(key) for tick in ticks]
        if any(v is not None for v in values):
            figure.add_trace(go.Scatter(x=t, y=values, name=name, mode="lines"), row=row, col=1)
    figure.update_xaxes(title_text="seconds", row=4, col=1)
    figure.update_layout(height=1000, margin={"t": 40, "b": 40, "l": 50, "r": 20})
    return str(figure.to_html(full_html=False, include_plotlyjs=True))


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
