"""The README's two commands are safe together (issue 11).

The first command installs smanav (web and PDF extras) into `.venv` and serves from it;
the test command installs into its own `.venv-test`. Running the test command while the
site is up must not reinstall the package under the running server (which once rebuilt
its knowledge base from a half-removed package), and the site the first command starts
offers everything the web app has, the PDF included.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEST_SCRIPT = (ROOT / "scripts" / "test").read_text(encoding="utf-8")


def _first_two_blocks() -> tuple[str, str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    return blocks[0].strip(), blocks[1].strip()


def test_the_two_commands_use_different_environments() -> None:
    first, second = _first_two_blocks()
    assert second == "bash scripts/test"
    served_from = re.search(r"python3 -m venv (\S+)", first)
    assert served_from is not None
    tests_in = re.search(r'VENV="\$\{SMANAV_TEST_VENV:-([^}]+)\}"', TEST_SCRIPT)
    assert tests_in is not None
    assert served_from.group(1) != tests_in.group(1)
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_the_first_command_installs_what_the_web_app_offers() -> None:
    """The plan page offers a PDF download: the first command installs the PDF extra."""
    first, _ = _first_two_blocks()
    extras = re.search(r"pip install '\.\[([^\]]+)\]'", first)
    assert extras is not None
    assert {"web", "pdf"} <= set(extras.group(1).split(","))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, data: bytes | None = None, timeout: float = 30) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data)
    if data is not None:
        req.add_header("content-type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


@pytest.mark.skipif(shutil.which("npm") is None, reason="the test command's install step uses npm")
def test_a_running_server_survives_the_test_commands_install_step(tmp_path: Path) -> None:
    # A separate install of smanav, as the first command makes: the built wheel in its
    # own environment (its dependencies are borrowed from this one through a path file,
    # to avoid a download). Its package files live only in that environment.
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation"]
        + ["-q", "-w", str(wheel_dir)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = wheel_dir.glob("smanav-*.whl")
    app_env = tmp_path / "app-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(app_env)], check=True)
    py = app_env / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    with zipfile.ZipFile(whl) as z:
        z.extractall(site)
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = subprocess.run(
        [str(py), "-c", "import smanav; print(smanav.__file__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(str(site)), where

    port = _free_port()
    env = {**os.environ, "SMANAV_DB": str(tmp_path / "app.db"), "HOME": str(tmp_path)}
    server = subprocess.Popen(
        [str(py), "-m", "smanav", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, _ = _get(f"{base}/api/treatments", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    err = server.stderr.read().decode() if server.stderr else ""
                    pytest.fail(f"the server did not start: {err[-2000:]}")
                time.sleep(0.5)
        assert status == 200

        # The test command's install step, exactly as the README's second command runs it.
        # (Into this test run's own environment: .venv-test under the README's command.)
        step = subprocess.run(
            ["bash", "scripts/test", "--install-only"],
            cwd=ROOT,
            env={**os.environ, "SMANAV_TEST_VENV": sys.prefix},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert step.returncode == 0, step.stdout[-2000:] + step.stderr[-2000:]

        status, body = _get(f"{base}/api/treatments")
        assert status == 200 and b"nusinersen" in body
        status, pdf = _get(
            f"{base}/plan.pdf", data=b"age=30m&sma_type=2&functional_status=sitter", timeout=120
        )
        assert status == 200 and pdf.startswith(b"%PDF")
        assert (site / "smanav" / "data" / "sources.yaml").is_file()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
