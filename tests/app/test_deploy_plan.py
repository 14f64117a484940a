"""Plans, strategies and the timeline without processes: what a plan means before it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.clusters.cluster import follower_args
from app.deploy.plan import PlanError, load_plan, parse_plan
from app.deploy.steps import NodeRef, plan_steps
from app.deploy.timeline import Timeline
from app.pipeline.file import load_pipeline

ROOT = Path(__file__).resolve().parents[2]
NODES = [
    NodeRef("producer", "c producer", "producer", "http://127.0.0.1:1"),
    *(
        NodeRef(f"follower-{i}", f"c follower {i}", "follower", f"http://127.0.0.1:{i + 1}")
        for i in range(1, 5)
    ),
]


def plan(extra: str = "") -> str:
    return f'name = "p"\ncluster = "c"\n{extra}'


def test_every_example_validates() -> None:
    """The files docs/ci.md and the README point at: pipelines and plans."""
    examples = sorted((ROOT / "examples").glob("*.toml"))
    assert {p.name for p in examples} >= {"pipeline.toml", "rolling-block-time.toml"}
    for path in examples:
        if "[[stages]]" in path.read_text():
            load_pipeline(path)  # its deploy stages' plans too
        else:
            load_plan(path)


@pytest.mark.parametrize(
    ("strategy", "extra", "expected"),
    [
        (
            "rolling",
            "",
            [("upgrade", 1), ("upgrade", 2), ("upgrade", 3), ("upgrade", 4), ("upgrade", 0)],
        ),
        ("rolling", "max_unavailable = 3", [("upgrade", 1, 2, 3), ("upgrade", 4), ("upgrade", 0)]),
        (
            "canary",
            "max_unavailable = 2",
            [("upgrade", 1), ("upgrade", 2, 3), ("upgrade", 4), ("upgrade", 0)],
        ),
        ("blue-green", "", [("add", 5, 6, 7, 8), ("switch", 1, 2, 3, 4), ("upgrade", 0)]),
    ],
)
def test_strategies_order_their_steps(
    strategy: str, extra: str, expected: list[tuple[object, ...]]
) -> None:
    parsed = parse_plan(plan(f'strategy = "{strategy}"\n{extra}\n'))
    green = [f"follower-{i}" for i in range(5, 9)]
    steps = plan_steps(parsed, NODES, green)

    def number(slug: str) -> int:
        return 0 if slug == "producer" else int(slug.rsplit("-", 1)[1])

    assert [(s.action, *map(number, s.nodes)) for s in steps] == expected
    if strategy == "canary":
        assert steps[0].note == "canary"


def test_a_follower_is_not_given_the_chains_options() -> None:
    args = ("--block-time", "1", "--private", "--difficulty=4", "--max-ws-clients", "9")
    assert follower_args(args) == ("--private", "--max-ws-clients", "9")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('target = "kubernetes"', "the kubernetes target needs a [kubernetes] table"),
        ('target = "kubernetes"\n[kubernetes]\ncontext = "k"', "version.image: missing"),
        (
            'target = "kubernetes"\n[version]\nimage = "i"\n[kubernetes]\ncontext = "k"\n'
            'statefulset = "Chain_Deck"',
            "kubernetes.statefulset: lower-case letters, digits",
        ),
        ('[version]\nimage = "i"', 'version.image: for target = "kubernetes", not "local"'),
        ('target = "ssh"', 'the ssh target needs a [nodes."NAME"] table with the host'),
        ('target = "ssh"\n[nodes."c 1"]\nstart = "a"\nstop = "b"', 'nodes."c 1".host: missing'),
        ('target = "ssh"\n[nodes.a]\nhost = "h"\nstart = "a"', 'nodes."a": needs a systemd unit'),
        (
            'target = "ssh"\n[ssh]\nunit = "u"\n[nodes.a]\nhost = "h"\nstart = "a"\nstop = "b"',
            "a systemd unit, or start and stop commands, not both",
        ),
        ('target = "ssh"\n[ssh]\npassword = "hunter2"', "ssh: no password in a plan"),
        ('target = "ssh"\n[nodes.a]\nhost = "h"\nunit = "u"\nport = 0', "nodes.a.port: Input"),
        (
            'target = "ssh"\n[nodes.a]\nhost = "h"\nunit = "u"\nrestore = "r"',
            'nodes."a".restore: restores a snapshot, so it needs snapshot too',
        ),
        (
            'target = "ssh"\nstrategy = "blue-green"\n[nodes.a]\nhost = "h"\nunit = "u"',
            "blue-green adds nodes",
        ),
        ('[ssh]\nhost = "h"', '[ssh] is for target = "ssh", not "local"'),
        ('[version]\nupload = "build"', 'version.upload: for target = "ssh", not "local"'),
        (
            'target = "command"\ndeploy = "x"\nrollback = "y"\n[nodes.a]\nhost = "h"',
            'nodes."a".host: for target = "ssh", not "command"',
        ),
        ('target = "command"', "the command target needs deploy and rollback commands"),
        (
            'target = "command"\nstrategy = "blue-green"\ndeploy = "x"\nrollback = "y"',
            "blue-green adds nodes",
        ),
        ('deploy = "x"', 'deploy, rollback and [nodes] are for target = "command"'),
        ('[version]\nargs = "--private"', "version.args: Input should be a valid list"),
        ('[[gates]]\nkind = "load"\nthresholds = ["p95<<1"]', "gates[0].thresholds: threshold"),
        (
            '[[gates]]\nkind = "metric"\nmetric = "peers"\ncondition = ">1"\ncount = 0',
            "gates[0].count: Input should be greater than or equal to 1",
        ),
        ('[[gates]]\nkind = "approve"\ntimeout = "-1s"', "gates[0].timeout"),
        (
            '[[gates]]\nkind = "load"\nworkers_on = ["a"]',
            'gates[0].workers_on: for target = "ssh" (workers start on the hosts of its nodes)',
        ),
        (
            'target = "ssh"\n[nodes.a]\nhost = "h"\nunit = "u"\n'
            '[[gates]]\nkind = "load"\nworkers_on = ["b"]',
            'gates[0].workers_on: "b" is not a node of this plan (its nodes: a)',
        ),
    ],
)
def test_what_is_refused_names_its_field(extra: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(plan(extra + "\n"), "p.toml")
    assert str(caught.value).startswith("p.toml: ")
    assert message in str(caught.value)


def test_the_timeline_folds_events_into_nodes_by_steps() -> None:
    events = [
        {
            "type": "plan",
            "plan": "p",
            "cluster": "c",
            "strategy": "canary",
            "steps": [
                {"action": "upgrade", "nodes": ["c follower 1"], "note": "canary"},
                {"action": "upgrade", "nodes": ["c producer"], "note": ""},
            ],
            "gates": [],
        },
        {
            "type": "step",
            "node": "c follower 1",
            "action": "upgrade",
            "status": "started",
            "step": 0,
            "t": 1.0,
        },
        {"type": "log", "step": 0, "line": "c follower 1: stopping"},
        {
            "type": "step",
            "node": "c follower 1",
            "action": "upgrade",
            "status": "done",
            "step": 0,
            "t": 2.0,
        },
        {
            "type": "gate",
            "gate": "health",
            "node": "c follower 1",
            "status": "failed",
            "detail": "behind = 7 > 2",
            "step": 0,
            "t": 3.0,
        },
        {
            "type": "step",
            "node": "c follower 1",
            "action": "rollback",
            "status": "done",
            "step": 2,
            "t": 4.0,
        },
        {"type": "summary", "plan": "p", "status": "rolled_back", "reason": "health", "t": 5.0},
    ]
    timeline = Timeline.of(events)
    assert timeline.columns == ["1 upgrade (canary)", "2 upgrade", "rollback"]
    assert timeline.nodes == ["c follower 1", "c producer"]
    assert timeline.cell("c follower 1", 0) == "upgrade done ✗"
    assert timeline.cell("c producer", 1) == "not run"  # it ended before that step
    assert timeline.cell("c follower 1", 2) == "rollback done"
    assert timeline.status == "rolled_back"
    assert timeline.log_of(0) == ["c follower 1: stopping"]
    assert [label for _, label in timeline.marks] == [
        "upgrade c follower 1",
        "gate failed",
        "rollback c follower 1",
        "deployment rolled_back",
    ]
