"""The remora command line: help for every command, and one clear line (no
traceback, a non-zero exit) for the common mistakes."""

import os
import socket
import subprocess
import sys

import pytest

import harness

REMORA = os.path.join(os.path.dirname(sys.executable), "remora")
COMMANDS = ("run", "serve", "boards", "compile", "sim", "deploy", "flash", "cert")


def remora(*args, timeout=60):
    return subprocess.run([REMORA] + list(args), capture_output=True, text=True,
                          timeout=timeout, cwd=harness.REPO)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    proc = remora(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "usage" in proc.stdout and "example" in proc.stdout, proc.stdout


def one_line_error(proc, *words):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr + proc.stdout
    lines = [x for x in (proc.stderr + proc.stdout).splitlines() if x.strip()]
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]


def test_common_mistakes_get_one_clear_line():
    one_line_error(remora("serve", "examples/demo", "--port", "notanumber"), "--port", "number")
    one_line_error(remora("serve", "no/such/folder"), "no such folder")
    one_line_error(remora("serve", "examples/demo", "--board", "nosuchboard"),
                   "unknown board", "esp32")
    one_line_error(remora("run", "no_such_program.py"), "no_such_program.py")
    one_line_error(remora("nosuchcommand"), "unknown command")


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_a_port_in_use_is_named(runtime):
    taken = socket.socket()
    taken.bind(("0.0.0.0", 0))
    taken.listen(1)
    port = str(taken.getsockname()[1])
    try:
        one_line_error(remora("serve", "examples/demo", "--port", port, "--runtime", runtime),
                       "port " + port, "in use", "--port")
        # A program that binds it itself: the launcher says where, in one line.
        one_line_error(remora("run", "examples/ex09_cosocket_echo.py", "--runtime", runtime, port),
                       "cannot listen on 0.0.0.0:" + port, "address in use")
    finally:
        taken.close()


def test_boards_is_an_aligned_table_with_units():
    lines = remora("boards").stdout.splitlines()
    assert lines[0].split()[:2] == ["board", "heap"], lines
    assert any(line.startswith("esp32 ") and "110 KiB" in line for line in lines), lines
    # Every column ends where its heading ends (figures right-aligned).
    heading = lines[0]
    ends = [heading.index(word) + len(word) for word in ("heap", "workers", "connections")]
    for line in lines[1:]:
        for end in ends:
            assert line[end - 1] != " ", (line, end)
