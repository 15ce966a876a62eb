"""Property-based tests over the whole OpenAPI document, against the real server process.

schemathesis generates valid and invalid requests for every operation and checks that none gets a
5xx and that every answer matches the documented status codes, content types and schemas.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import LiveServer


@pytest.fixture
def fuzz_server(tmp_path: Path) -> Any:
    # Rate limits would turn fuzzing into a test of 429s; they have their own test.
    server = LiveServer(
        tmp_path / "fuzz",
        env={"MONITORX_RATE_LIMIT_PER_S": "1000000", "MONITORX_RATE_LIMIT_BURST": "1000000"},
    )
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.timeout(600)  # the run is bounded by --max-time; pytest's default 300 s would cut it short
def test_no_server_errors_and_no_schema_violations(fuzz_server: LiveServer, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("schemathesis")
    cmd = [
        str(cli),
        "run",
        f"{fuzz_server.url}/openapi.json",
        "-H",
        f"Authorization: Bearer {fuzz_server.api_key}",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance,response_headers_conformance",
        "--mode",
        "all",
        "--generation-deterministic",
        "--max-examples",
        os.environ.get("MONITORX_FUZZ_EXAMPLES", "20"),
        # The schemas carry no examples; coverage walks every constraint, fuzzing draws at random.
        # One worker: two raced inside schemathesis once (a KeyError in its cache), and were no faster.
        "--phases",
        "coverage,fuzzing",
        "--max-time",
        "480",
        "--exclude-path",
        "/api/v1/keys/{key_id}",  # would revoke the key the run uses
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=560, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    (tmp_path / "schemathesis.log").write_text(done.stdout)
