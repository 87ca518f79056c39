"""The command line: exit codes, drift, atomic writes, ownership of the output folder, determinism."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SPEC, run_generator

PETSTORE = """\
openapi: 3.0.3
info: {title: Pet Store, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: Pets.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
components:
  schemas:
    Pet:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        name: {type: string}
"""


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(
                path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes()
            )
    return digest.hexdigest()


@pytest.fixture
def petstore(tmp_path: Path) -> Path:
    spec = tmp_path / "petstore.yaml"
    spec.write_text(PETSTORE, encoding="utf-8")
    return spec


def test_generate_then_check_then_drift(petstore: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(out)
    )
    assert status == 0, err
    assert "wrote" in err and "changed" in err
    assert sorted(p.name for p in out.iterdir()) == [
        "pet_store_client",
        "pet_store_server",
    ]
    assert run_generator("check", "--spec", str(petstore), "--out", str(out))[0] == 0
    # One character of the spec changes the output: check fails with a diff.
    petstore.write_text(PETSTORE.replace("Pets.", "Pets!"), encoding="utf-8")
    status, diff, _ = run_generator("check", "--spec", str(petstore), "--out", str(out))
    assert status == 1
    assert "-    Pets." in diff or "Pets." in diff and "Pets!" in diff
    assert diff.startswith("--- a/")


def test_check_catches_hand_edits(petstore: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    models = out / "pet_store_client" / "models.py"
    models.write_text(models.read_text() + "# edited\n")
    status, diff, _ = run_generator("check", "--spec", str(petstore), "--out", str(out))
    assert status == 1 and "+# edited" not in diff and "-# edited" in diff


def test_check_runs_black_only_where_a_stamp_does_not_hold(
    petstore: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An up-to-date tree is verified by its stamps, without black or a cache;
    a file whose body or black's mode differs from its stamp is formatted
    and compared as before."""
    from generator import format as format_stage

    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    formatted: list[str] = []
    black_block = format_stage._format_block

    def counting(item: tuple[int, str]) -> str:
        formatted.append(item[1])
        return black_block(item)

    monkeypatch.setattr(format_stage, "_format_block", counting)
    # Every block to black (none taken as it is), in this process (one job),
    # where the count is kept.
    monkeypatch.setattr(format_stage, "_as_black_gives", lambda indent, text: False)
    check = ("check", "--spec", str(petstore), "--out", str(out), "--no-cache")
    check += ("--jobs", "1")
    assert run_generator(*check)[0] == 0
    assert formatted == []

    models = out / "pet_store_server" / "models.py"
    models.write_text(models.read_text().replace("id: int", "id:  int"))
    status, diff, _ = run_generator(*check)
    assert status == 1 and "+    id: int" in diff
    assert any(block.startswith("class Pet(") for block in formatted)
    assert not any(block.startswith("class Client(") for block in formatted)

    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    formatted.clear()
    # Another black: its stamps differ, so every file is formatted and differs.
    monkeypatch.setattr(format_stage, "mode_key", lambda: "black=another")
    status, diff, _ = run_generator(*check)
    assert status == 1 and "stamp" in diff
    assert any(block.startswith("class Client(") for block in formatted)


def test_regenerating_restores_hand_edits_and_removes_stale_files(
    petstore: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    clean = tree_hash(out)
    models = out / "pet_store_client" / "models.py"
    models.write_text(models.read_text() + "# edited\n")
    stale = out / "pet_store_client" / "old.py"
    stale.write_text(
        "# Generated by persons-generator from petstore.yaml; do not edit.\n"
    )
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(out)
    )
    assert status == 0, err
    assert tree_hash(out) == clean


def test_a_file_without_our_header_is_never_touched(
    petstore: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    mine = out / "pet_store_server" / "my_handler.py"
    mine.write_text("print('my code')\n")
    before = tree_hash(out)
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(out), "--no-cache"
    )
    assert status == 1
    assert "error[out-foreign-file]" in err and "my_handler.py" in err
    assert tree_hash(out) == before


def test_a_bad_spec_leaves_the_output_untouched(petstore: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    before = tree_hash(out)
    petstore.write_text(
        PETSTORE.replace("operationId: listPets", "operationId: [listPets"),
        encoding="utf-8",
    )
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(out)
    )
    assert status == 1
    assert "Traceback" not in err and "error[yaml-syntax]" in err
    assert err.splitlines()[0].startswith(f"{petstore}:")
    assert tree_hash(out) == before


def _package_hashes(out: Path) -> dict[str, str]:
    return {p.name: tree_hash(p) for p in sorted(out.iterdir())}


SWAPS = [
    "moving the old client aside",
    "moving the new client in",
    "moving the old server aside",
    "moving the new server in",
]


@pytest.mark.parametrize("failing", SWAPS)
def test_a_failed_swap_leaves_both_packages_as_they_were(
    petstore: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The two packages change together or not at all: a swap that fails,
    the second one included, undoes the first (issue 13: the new client
    stood beside the old server). The error is one line, exit 2."""
    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    before = _package_hashes(out)
    petstore.write_text(PETSTORE.replace("Pets.", "All the pets."), encoding="utf-8")
    fresh = tmp_path / "fresh"
    assert (
        run_generator("generate", "--spec", str(petstore), "--out", str(fresh))[0] == 0
    )
    after = _package_hashes(fresh)
    assert all(after[name] != before[name] for name in before)  # both change

    step = SWAPS.index(failing)
    real_rename = os.rename
    renames: list[str] = []

    def rename(src: str, dst: str) -> None:
        renames.append(dst)
        if len(renames) == step + 1:
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(out), "--no-cache"
    )
    monkeypatch.undo()
    assert (status, err) == (
        2,
        f"error: cannot write {out}: No space left on device\n",
    )
    assert _package_hashes(out) == before  # nothing staged or swapped out is left
    # The next run goes through, over whatever the failed one left.
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    assert _package_hashes(out) == after


def test_a_failure_while_staging_leaves_the_old_output(
    petstore: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    before = _package_hashes(out)
    petstore.write_text(PETSTORE.replace("Pets.", "All the pets."), encoding="utf-8")
    real_makedirs = os.makedirs

    def makedirs(name: str, *args: object, **kwargs: object) -> None:
        if ".pet_store_server.new" in str(name):
            raise OSError(30, "Read-only file system")
        real_makedirs(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "makedirs", makedirs)
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(out), "--no-cache"
    )
    monkeypatch.undo()
    assert (status, err) == (2, f"error: cannot write {out}: Read-only file system\n")
    assert _package_hashes(out) == before


def test_an_output_folder_that_is_a_file(petstore: Path, tmp_path: Path) -> None:
    """A one-line error, exit 2, the file untouched (it was a FileExistsError traceback)."""
    out = tmp_path / "out"
    out.write_text("mine\n")
    for command in ("generate", "check"):
        status, stdout, err = run_generator(
            command, "--spec", str(petstore), "--out", str(out)
        )
        assert (status, stdout, err) == (
            2,
            "",
            f"error: the output folder {out} is a file\n",
        )
    assert out.read_text() == "mine\n"


def test_an_output_folder_inside_a_file(petstore: Path, tmp_path: Path) -> None:
    parent = tmp_path / "file"
    parent.write_text("mine\n")
    out = parent / "out"
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(out), "--no-cache"
    )
    assert (status, err) == (2, f"error: cannot use {out}: Not a directory\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder(petstore: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        status, _, err = run_generator(
            "generate", "--spec", str(petstore), "--out", str(out), "--no-cache"
        )
    finally:
        out.chmod(0o755)
    assert (status, err) == (2, f"error: cannot write {out}: Permission denied\n")
    assert list(out.iterdir()) == []


# A generator run that pauses at its first rename (inside its swap, holding
# the output folder) until the file `go` appears.
PAUSING_RUN = """
import os, sys, time
from pathlib import Path

paused, go = Path(sys.argv[1]), Path(sys.argv[2])
rename = os.rename


def pausing_rename(src, dst):
    if not paused.exists():
        paused.touch()
        while not go.exists():
            time.sleep(0.01)
    rename(src, dst)


os.rename = pausing_rename
from generator.cli import main

sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("second", ["generate", "check"])
def test_runs_into_one_folder_take_turns(
    petstore: Path, tmp_path: Path, second: str
) -> None:
    """A second run waits while the first swaps its packages in, then goes
    ahead: no mixed output, no OSError, no noise at exit (issue 13: 1 of 72
    concurrent pairs ended in ENOTEMPTY)."""
    out = tmp_path / "out"
    assert run_generator("generate", "--spec", str(petstore), "--out", str(out))[0] == 0
    spec_a, spec_b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    spec_a.write_text(PETSTORE.replace("Pets.", "Pets of run A."), encoding="utf-8")
    spec_b.write_text(PETSTORE.replace("Pets.", "Pets of run B."), encoding="utf-8")
    paused, go = tmp_path / "paused", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    common = ["--out", str(out), "--no-cache"]
    first = subprocess.Popen(
        [sys.executable, "-c", PAUSING_RUN, str(paused), str(go), "generate"]
        + ["--spec", str(spec_a), *common],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    others: list[subprocess.Popen[str]] = []
    try:
        while not paused.exists():
            assert first.poll() is None, first.communicate()
            time.sleep(0.01)
        spec = spec_b if second == "generate" else spec_a
        others.append(
            subprocess.Popen(
                [sys.executable, "-m", "generator", second, "--spec", str(spec)]
                + common,
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        assert others[0].stderr is not None
        said_first = others[0].stderr.readline()  # what it says before it ends
        go.touch()
        _, first_err = first.communicate()
        _, second_err = others[0].communicate()
    finally:
        for process in [first, *others]:
            process.kill()
            process.wait()
    assert said_first == f"waiting for another run on {out} to finish...\n"
    assert (first.returncode, others[0].returncode) == (0, 0), first_err + second_err
    for err in (first_err, second_err):
        assert len(err.splitlines()) == 1 and err.startswith(("wrote", "checked"))
    fresh = tmp_path / "fresh"
    last = spec_b if second == "generate" else spec_a
    assert run_generator("generate", "--spec", str(last), "--out", str(fresh))[0] == 0
    assert _package_hashes(out) == _package_hashes(fresh)


def test_a_run_leaves_no_process_behind(petstore: Path, tmp_path: Path) -> None:
    """Every helper process has exited when a run returns, whether it wrote
    or stopped at a bad spec. A pool left to wind down raced the
    interpreter's exit, which printed `Exception ignored ... Bad file
    descriptor` after 2 of 144 runs of main (issue 13)."""
    import multiprocessing

    out = tmp_path / "out"
    bad = tmp_path / "bad.yaml"
    bad.write_text(PETSTORE.replace("listPets", "[listPets"), encoding="utf-8")
    for spec in (petstore, bad, petstore):
        run_generator("generate", "--spec", str(spec), "--out", str(out), "--jobs", "2")
        assert multiprocessing.active_children() == []


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_generator("generate", "--only", "nonsense")[0] == 2
    assert run_generator("frobnicate")[0] == 2


def test_validate_reports_and_exits_1(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        PETSTORE.replace(
            '$ref: "#/components/schemas/Pet"', '$ref: "#/components/schemas/Missing"'
        )
    )
    status, _, err = run_generator("validate", "--spec", str(spec))
    assert status == 1
    line = spec.read_text().split("\n")[13]
    column = line.index("$ref") + 1
    expected = f"{spec}:14:{column}: error[ref-unresolved]: reference '#/components/schemas/Missing' does not resolve"
    assert expected in err
    assert "Traceback" not in err


def test_only_client(petstore: Path, tmp_path: Path) -> None:
    out = tmp_path / "vendor"
    assert (
        run_generator(
            "generate", "--spec", str(petstore), "--out", str(out), "--only", "client"
        )[0]
        == 0
    )
    assert [p.name for p in out.iterdir()] == ["pet_store_client"]
    assert (
        run_generator(
            "check", "--spec", str(petstore), "--out", str(out), "--only", "client"
        )[0]
        == 0
    )


def test_warm_cache_gives_the_same_bytes_as_a_cold_run(
    petstore: Path, tmp_path: Path
) -> None:
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    assert (
        run_generator(
            "generate", "--spec", str(petstore), "--out", str(cold), "--no-cache"
        )[0]
        == 0
    )
    for _ in range(2):  # the second run is served from the cache
        assert (
            run_generator("generate", "--spec", str(petstore), "--out", str(warm))[0]
            == 0
        )
    assert tree_hash(cold) == tree_hash(warm)
    status, _, err = run_generator(
        "generate", "--spec", str(petstore), "--out", str(warm)
    )
    assert status == 0 and "nothing changed" in err


def test_output_is_the_same_whatever_the_hash_seed_cwd_and_key_order(
    tmp_path: Path,
) -> None:
    """Three runs: two hash seeds and working folders, and a spec whose mappings are reordered."""
    import yaml

    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    projects = []
    for name, document in (
        ("copy", SPEC.read_text(encoding="utf-8")),
        (
            "reordered",
            yaml.safe_dump(_reverse(data), sort_keys=False, allow_unicode=True),
        ),
    ):
        project = tmp_path / name
        (project / "spec").mkdir(parents=True)
        (project / "spec" / "persons.yaml").write_text(document, encoding="utf-8")
        shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
        projects.append(project)
    outputs = []
    for seed, cwd in (("0", ROOT), ("12345", projects[0]), ("7", projects[1])):
        out = tmp_path / f"out-{seed}"
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "PYTHONPATH": str(ROOT),
            "GENERATOR_CACHE_DIR": str(tmp_path / "c"),
        }
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "generate",
                "--spec",
                "spec/persons.yaml",
                "--out",
                str(out),
                "--no-cache",
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(out)
    assert tree_hash(outputs[0]) == tree_hash(outputs[1])
    # The reordered document is other text: only its hash and the served copy may differ.
    assert _hash_without_spec_text(outputs[0]) == _hash_without_spec_text(outputs[2])


def _reverse(value: object) -> object:
    """Reverse the key order of every mapping (lists keep their order: it has meaning)."""
    if isinstance(value, dict):
        return {k: _reverse(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [_reverse(v) for v in value]
    return value


def _hash_without_spec_text(out: Path) -> str:
    # The served spec (openapi.json) and the spec hash follow the source text
    # by design, and so does the stamp of a file that holds the hash.
    digest = hashlib.sha256()
    for path in sorted(out.rglob("*.py")):
        text = "\n".join(
            line
            for line in path.read_text().split("\n")
            if "sha256" not in line.lower() and "(stamp " not in line
        )
        digest.update(path.relative_to(out).as_posix().encode() + text.encode())
    return digest.hexdigest()


def test_the_committed_output_is_current() -> None:
    shutil.which("git")  # the drift check proper lives in tests/golden
    assert run_generator("check", "--no-cache")[0] == 0
