"""A pipeline's reports in one folder (shared/spec/pipeline.md): `report.json` (every stage's
own report), `junit.xml` (a testsuite per stage: its tests, each load threshold and each deploy
gate as test cases, a failure saying by how much) and `report.html` (one self-contained page:
the verdicts first, then the load charts and the deployment timelines)."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from app.deploy.timeline import Timeline
from app.load.html_report import STYLE, charts

JSON, JUNIT, HTML = "report.json", "junit.xml", "report.html"


def write_reports(out: Path, report: dict[str, Any]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((JSON, json.dumps(report, indent=2)), (JUNIT, junit(report)),
                       (HTML, page(report))):  # fmt: skip
        partial = out / f"{name}.partial"
        partial.write_text(text, encoding="utf-8")
        partial.replace(out / name)  # whole or not at all
        written.append(out / name)
    return written


# -- JUnit -----------------------------------------------------------------------------------
def _case(suite: ET.Element, classname: str, name: str, seconds: float = 0.0) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")


def _fail(case: ET.Element, message: str, text: str = "", kind: str = "failure") -> None:
    element = ET.SubElement(case, kind, message=message[:1000], type=kind)
    element.text = text or message


def _stage_cases(suite: ET.Element, stage: dict[str, Any]) -> None:
    kind, report, name = stage["kind"], stage.get("report") or {}, stage["name"]
    if stage["status"] == "skipped":
        case = _case(suite, kind, name)
        ET.SubElement(case, "skipped", message=stage.get("detail", ""))
        return
    if kind == "test":
        for run in report.get("runs", []):
            for result in run["results"]:
                module, _, test = str(result["nodeid"]).rpartition("::")
                case = _case(
                    suite,
                    f"{run['target']}.{module}",
                    test or module,
                    float(result.get("duration") or 0),
                )
                if result["outcome"] in ("failed", "error"):
                    _fail(
                        case,
                        str(result.get("message") or result["outcome"]),
                        str(result.get("longrepr") or ""),
                        "failure" if result["outcome"] == "failed" else "error",
                    )
                elif result["outcome"] in ("skipped", "n/a"):
                    ET.SubElement(case, "skipped", message=str(result.get("message") or ""))
    elif kind == "load":
        for threshold in report.get("thresholds", []):
            case = _case(suite, "load.thresholds", threshold["expr"])
            if not threshold["ok"]:
                _fail(case, threshold["message"])
    elif kind == "deploy":
        for event in report.get("events", []):
            if event["type"] == "gate":
                case = _case(
                    suite, f"deploy.step{event['step'] + 1}", f"{event['gate']} on {event['node']}"
                )
                if event["status"] != "passed":
                    _fail(case, f"{event['status']}: {event['detail']}")
        summary = report.get("summary") or {}
        case = _case(suite, "deploy", f"deployment “{report.get('plan', '')}”")
        if summary.get("status") != "succeeded":
            _fail(case, stage.get("detail") or str(summary.get("status")))
    # A stage with no case of its own (a cluster), or a failure none of its cases shows (a
    # node that did not start): one case for the stage, so CI never reads a failure as green.
    unexplained = stage["status"] == "failed" and not suite.findall(".//failure")
    if not len(suite) or (unexplained and not suite.findall(".//error")):
        case = _case(suite, kind, name, float(stage.get("seconds") or 0))
        if stage["status"] == "failed":
            _fail(case, stage.get("detail") or "failed")


def junit(report: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name=f"chaindeck pipeline {report['name']}")
    for stage in report["stages"]:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=stage["name"],
            timestamp=stage["started"],
            time=f"{float(stage.get('seconds') or 0):.3f}",
        )
        _stage_cases(suite, stage)
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(len(suite.findall("testcase/failure"))))
        suite.set("errors", str(len(suite.findall("testcase/error"))))
        suite.set("skipped", str(len(suite.findall("testcase/skipped"))))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# -- HTML ------------------------------------------------------------------------------------
def _esc(value: Any) -> str:
    return html.escape(str(value))


def _timeline_table(events: list[dict[str, Any]]) -> str:
    t = Timeline.of(events)
    head = "".join(f"<th>{_esc(c)}</th>" for c in t.columns)
    rows = "".join(
        f"<tr><th>{_esc(n)}</th>"
        + "".join(f"<td>{_esc(t.cell(n, i))}</td>" for i in range(len(t.columns)))
        + "</tr>"
        for n in t.nodes
    )
    gates = "".join(
        f"<tr><td>{_esc(t.columns[g.step] if g.step < len(t.columns) else g.step)}</td>"
        f"<td>{_esc(g.gate)}</td><td>{_esc(g.node)}</td>"
        f"<td class='{'pass' if g.status == 'passed' else 'fail'}'>{_esc(g.status)}</td>"
        f"<td>{_esc(g.detail)}</td></tr>"
        for g in t.gates
    )
    return (f"<table><tr><th></th>{head}</tr>{rows}</table>"
            f"<table><tr><th>step</th><th>gate</th><th>node</th><th>verdict</th>"
            f"<th>what decided it</th></tr>{gates}</table>")  # fmt: skip


def page(report: dict[str, Any]) -> str:
    ok = report["status"] == "passed"
    verdicts = "".join(
        f"<tr><td>{_esc(s['name'])}</td><td class='{_css(s['status'])}'>{_esc(s['status'])}"
        f"</td><td>{_esc(s.get('detail', ''))}</td></tr>"
        for s in report["stages"]
    )
    sections = []
    library = True
    for i, stage in enumerate(report["stages"]):
        data = stage.get("report") or {}
        if stage["kind"] == "load" and data.get("ticks"):
            thresholds = "".join(
                f"<li class='{'pass' if t['ok'] else 'fail'}'>{_esc(t['message'])}</li>"
                for t in data.get("thresholds", [])
            )
            sections.append(
                f"<h2>{_esc(stage['name'])}: load {_esc(data.get('scenario'))}</h2>"
                f"<ul>{thresholds}</ul>" + charts(data["ticks"], prefix=f"s{i}c", library=library)
            )
            library = False
        elif stage["kind"] == "deploy" and data.get("events"):
            sections.append(
                f"<h2>{_esc(stage['name'])}: deployment {_esc(data.get('plan'))}"
                f"</h2>{_timeline_table(data['events'])}"
            )
        elif stage["kind"] == "test":
            failed = [
                (r["target"], x)
                for r in data.get("runs", [])
                for x in r["results"]
                if x["outcome"] in ("failed", "error")
            ]
            items = "".join(
                f"<li class='fail'>{_esc(t)}: {_esc(x['nodeid'])}: {_esc(x.get('message'))}</li>"
                for t, x in failed[:200]
            )
            if items:
                sections.append(f"<h2>{_esc(stage['name'])}: failures</h2><ul>{items}</ul>")
    title = f"ChainDeck pipeline {report['name']}: {report['status']}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_esc(title)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Pipeline {_esc(report['name'])} <span class='{'pass' if ok else 'fail'}'>"
        f"{_esc(report['status'])}</span></h1>"
        f"<p class='muted'>{_esc(report['started'])} → {_esc(report.get('ended', ''))}</p>"
        f"<table><tr><th>stage</th><th>verdict</th><th>what decided it</th></tr>{verdicts}"
        f"</table>{''.join(sections)}</body></html>"
    )


def _css(status: str) -> str:
    return {"passed": "pass", "failed": "fail"}.get(status, "muted")
