"""Fuzz the API from its own OpenAPI schema (schemathesis): valid and invalid input, with and
without a token. No request may produce a 5xx or kill the node, and every answer must be one the
document promises: its status code, content type and schema."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers.node_process import NodeProcess

# 20 cases per operation and mode keeps the four runs near a minute of the suite's 2 cores;
# CHAINDECK_FUZZ_EXAMPLES=500 for a deeper search.
EXAMPLES = int(os.environ.get("CHAINDECK_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def operations(node: NodeProcess) -> list[Any]:
    schema = schemathesis.openapi.from_url(node.url + "/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 15
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("with_token", [True, False])
def test_every_answer_is_one_the_document_promises(
    node: NodeProcess, token: str, mode: GenerationMode, with_token: bool
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if with_token else {}
    failures: list[str] = []
    for operation in operations(node):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def probe(case: Any) -> None:
            response = case.call(base_url=node.url, headers=headers, timeout=30)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # a failed check: AssertionError or a FailureGroup
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code} "
                    f"{response.text[:160]}: {str(exc).splitlines()[0][:200]}"
                )

        try:
            probe()
        except Unsatisfiable:
            # Nothing to make invalid (an operation without parameters or body, in NEGATIVE).
            assert mode is GenerationMode.NEGATIVE
    assert failures == [], "\n".join(sorted(set(failures))[:20])
    assert node.proc is not None and node.proc.poll() is None, "the node died"
    assert "Traceback" not in node.stderr_text()
