"""The load users' transfer client (app/load/locustfiles/poster.py) against a server that answers
the ways HTTP/1.1 servers do: keep-alive with a length, chunked, closing, timing out an idle
connection, dying mid-answer or never answering. Run in a child process, as the load users are
(the module is gevent's)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.locust_child import run_child

CHILD = textwrap.dedent(
    """
    import json, sys
    import gevent
    from gevent.server import StreamServer
    from app.load.locustfiles import poster

    poster.ANSWER_S = 1.0
    OK = b"HTTP/1.1 201 Created\\r\\nContent-Type: application/json\\r\\n"
    ANSWERS = {
        "length": [OK + b"content-length: 11\\r\\n\\r\\n{\\"a\\":\\"one\\"}"],
        "chunked": [
            OK + b"Transfer-Encoding: chunked\\r\\n\\r\\n"
            b"4;ext=1\\r\\n{\\"a\\"\\r\\n7\\r\\n:\\"two\\"}\\r\\n0\\r\\nX-Trailer: t\\r\\n\\r\\n"
        ],
        "close": [OK + b"Connection: close\\r\\nContent-Length: 2\\r\\n\\r\\n{}"],
        "to_close": [b"HTTP/1.1 200 OK\\r\\nConnection: close\\r\\n\\r\\nuntil the end"],
        "idle_closed": [OK + b"Content-Length: 2\\r\\n\\r\\n{}", None],
        "cut": [b"HTTP/1.1 201 Cre"],
        "silent": ["never"],
        "error": [b"HTTP/1.1 422 Unprocessable\\r\\nContent-Length: 7\\r\\n\\r\\n{\\"e\\":1}"],
        "split": [OK + b"Content-Length: 5\\r\\n", b"\\r\\nhel", b"lo"],
    }
    seen = {"connections": 0, "bodies": []}

    def serve(sock, _address):
        seen["connections"] += 1
        script = list(ANSWERS[scenario])
        buffer = b""
        while script:
            while b"\\r\\n\\r\\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            head, buffer = buffer.split(b"\\r\\n\\r\\n", 1)
            length = int(head.lower().split(b"content-length: ")[1].split(b"\\r\\n")[0])
            while len(buffer) < length:
                buffer += sock.recv(65536)
            seen["bodies"].append(buffer[:length].decode())
            buffer = buffer[length:]
            answer = script.pop(0)
            if answer is None:  # closes the idle connection after its first answer
                break
            if answer == "never":
                gevent.sleep(5)
                return
            if scenario == "split":  # the answer arrives in pieces
                for piece in [answer, *script]:
                    sock.sendall(piece)
                    gevent.sleep(0.05)
                break  # and the next request finds the connection closed
            sock.sendall(answer)
            if scenario == "idle_closed":
                gevent.sleep(0.1)
                break
            if b"close" in answer.lower() or scenario == "cut":
                break
            script.append(answer)  # keep answering the same way
        sock.close()

    scenario = sys.argv[1]
    server = StreamServer(("127.0.0.1", 0), serve)
    server.start()
    client = poster.Poster(f"http://127.0.0.1:{server.server_port}")
    results = []
    for n in range(2):
        if scenario == "idle_closed" and n == 1:
            gevent.sleep(0.3)  # the server has closed the idle connection by now
        status, body, failure = client.post("/api/v1/transactions/raw", b'{"n":%d}' % n)
        results.append([status, body.decode(), type(failure).__name__ if failure else None])
    client.close()
    print(json.dumps({"results": results, **seen}))
    """
)


def post_twice(scenario: str, tmp_path: Path) -> dict[str, Any]:
    return run_child(CHILD, tmp_path, scenario)


def test_keep_alive_answers_with_a_length_share_one_connection(tmp_path: Path) -> None:
    got = post_twice("length", tmp_path)
    assert got["results"] == [[201, '{"a":"one"}', None]] * 2
    assert got["connections"] == 1
    assert got["bodies"] == ['{"n":0}', '{"n":1}']


def test_a_chunked_answer_is_put_together_and_the_connection_kept(tmp_path: Path) -> None:
    got = post_twice("chunked", tmp_path)
    assert got["results"] == [[201, '{"a":"two"}', None]] * 2
    assert got["connections"] == 1


def test_an_answer_in_pieces_is_read_whole(tmp_path: Path) -> None:
    got = post_twice("split", tmp_path)
    assert got["results"] == [[201, "hello", None]] * 2


@pytest.mark.parametrize("scenario", ["close", "to_close"])
def test_a_closing_server_gets_a_new_connection_each_time(scenario: str, tmp_path: Path) -> None:
    got = post_twice(scenario, tmp_path)
    body = "{}" if scenario == "close" else "until the end"
    assert [r[1:] for r in got["results"]] == [[body, None]] * 2
    assert got["connections"] == 2


def test_an_idle_connection_the_server_closed_is_opened_again_once(tmp_path: Path) -> None:
    got = post_twice("idle_closed", tmp_path)
    assert got["results"] == [[201, "{}", None]] * 2
    assert got["connections"] == 2
    assert got["bodies"] == ['{"n":0}', '{"n":1}']  # the second transfer reached it once


def test_an_error_status_is_an_answer_not_a_failure(tmp_path: Path) -> None:
    got = post_twice("error", tmp_path)
    assert got["results"] == [[422, '{"e":1}', None]] * 2


def test_an_answer_cut_off_is_a_failure_and_not_sent_again(tmp_path: Path) -> None:
    got = post_twice("cut", tmp_path)
    assert got["results"][0] == [0, "", "ConnectionLost"]
    assert got["bodies"][0] == '{"n":0}'
    assert got["bodies"].count('{"n":0}') == 1  # a half-answered transfer is not posted twice


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    got = post_twice("silent", tmp_path)
    assert got["results"][0][0] == 0
    assert got["results"][0][2] in ("TimeoutError", "timeout")
