"""`target = "command"`: the plan's own commands run per node with the node in their
environment, their output in the step's log, and the rollback commands in reverse order."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.support import chaindeck, events, local_cluster, write_plan


def test_deploy_and_rollback_commands_per_node(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    with local_cluster(tmp_path, "ops", 2):
        plan = write_plan(
            tmp_path,
            f"""
name = "by our scripts"
cluster = "ops"
target = "command"
max_unavailable = 2
deploy = 'echo "deploy $CHAINDECK_NODE ($CHAINDECK_NODE_ROLE) $CHAINDECK_VERSION_ARGS" >> {record}'
rollback = 'echo "rollback $CHAINDECK_NODE" >> {record}'

[version]
args = ["--block-time", "2"]

[nodes."ops producer"]
deploy = 'echo "the producer is special" && exit 3'

[[gates]]
kind = "metric"
metric = "peers"
condition = "> 100"
count = 1
""",
        )
        dry = chaindeck("deploy", str(plan), "--dry-run", data_dir=tmp_path)
        assert dry.returncode == 0, dry.stderr
        assert "1. upgrade ops follower 1, ops follower 2" in dry.stdout
        assert "exit 3" in dry.stdout and not record.exists()

        run = chaindeck("deploy", str(plan), "--json", data_dir=tmp_path)
        assert run.returncode == 1, run.stdout + run.stderr
        assert record.read_text().splitlines() == [
            "deploy ops follower 1 (follower) --block-time 2",
            "deploy ops follower 2 (follower) --block-time 2",
            "rollback ops follower 2",
            "rollback ops follower 1",
        ]
        lines = events(run.stdout)
        gate = next(e for e in lines if e["type"] == "gate")
        assert gate["status"] == "failed"
        assert gate["detail"].startswith("peers = 1 ≤ 100 on ops follower")
        assert "(1 of 1 checks)" in gate["detail"]
        # The restored cluster fails that gate too: the rollback is not reported as done.
        assert lines[-1]["status"] == "rollback_failed"
        problems = lines[-1]["rollback_problems"]
        assert problems[0].startswith("the restored cluster fails metric peers > 100")

        # A command that fails fails its step (and is undone like any other).
        record.unlink()
        plan.write_text(
            plan.read_text()
            .replace("max_unavailable = 2", "max_unavailable = 9")
            .replace('condition = "> 100"', 'condition = ">= 1"')
        )
        run = chaindeck("deploy", str(plan), data_dir=tmp_path)
        assert run.returncode == 1
        assert "step 2: upgrade ops producer failed: ops producer: deploy command exited 3" in (
            run.stdout
        )
        assert "deployment “by our scripts”: rolled back" in run.stdout
        assert record.read_text().splitlines()[-3:] == [
            "rollback ops producer",
            "rollback ops follower 2",
            "rollback ops follower 1",
        ]


def test_a_gate_without_data_waits_for_a_person(tmp_path: Path) -> None:
    """No blocks come on an idle chain that seals on demand, so there is no block time to
    judge: inconclusive, never passed by itself; --yes is the person that lets it go on."""
    with local_cluster(tmp_path, "idle", 1):
        plan = write_plan(
            tmp_path,
            """
name = "judged on block time"
cluster = "idle"
target = "command"
deploy = "true"
rollback = "true"
[[gates]]
kind = "metric"
metric = "block_time"
condition = "< 5"
interval = "0.2s"
count = 2
""",
        )
        alone = chaindeck("deploy", str(plan), "--json", data_dir=tmp_path)
        assert alone.returncode == 1
        lines = events(alone.stdout)
        gate = next(e for e in lines if e["type"] == "gate")
        assert gate["status"] == "inconclusive"
        assert gate["detail"] == "block_time: no data in 2 checks"
        assert "not approved" in lines[-1]["reason"]

        approved = chaindeck("deploy", str(plan), "--yes", data_dir=tmp_path)
        assert approved.returncode == 0, approved.stdout
        assert "no data" in approved.stdout and "yes (--yes)" in approved.stdout
