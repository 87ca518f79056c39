"""A spec's `$ref`s reach regular files under its folder (or `--ref-root`), and
nothing else; the spec's files are read up to a size limit; nesting is bounded.

Hostile targets: absolute paths, `../` out of the folder, links leading out,
`/dev/zero`, FIFOs, sockets, folders, files over the limit. Each is refused by
a located error before anything is read from it, so no diagnostic and no
generated file can hold a byte of a file outside the folder, and nothing can
read without end or hang (issue 13).
"""

from __future__ import annotations

import itertools
import os
import resource
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.files import MAX_SPEC_BYTES
from generator.load import MAX_DEPTH, Limits, load
from tests.conftest import ROOT, run_generator

MARKER = "TOP-SECRET-4f1c"  # in every file outside the spec's folder
SPEC_HEAD = """\
openapi: 3.0.3
info: {title: Refs, version: "1"}
paths:
  /items:
    get:
      operationId: listItems
      responses:
        "200":
"""
REF_LINE = SPEC_HEAD.count("\n") + 1  # where the `$ref` under test sits
REF_COLUMN = 11
REF_POINTER = "#/paths/~1items/get/responses/200/$ref"
RESPONSE = "description: fine\n"
SECRET = f"description: {MARKER}\n"


def spec_text(ref: str) -> str:
    return SPEC_HEAD + f"          $ref: {ref!r}\n"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`base/` holds a secret beside `base/root/`, the spec's folder, which
    holds good files and every kind of trap."""
    base = tmp_path_factory.mktemp("refs")
    (base / "secret.yaml").write_text(SECRET, encoding="utf-8")
    (base / "secrets").mkdir()
    (base / "secrets" / "key.yaml").write_text(SECRET, encoding="utf-8")
    root = base / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "ok.yaml").write_text(RESPONSE, encoding="utf-8")
    (root / "sub" / "inner.yaml").write_text(RESPONSE, encoding="utf-8")
    (root / "sub" / "deeper" / "leaf.yaml").write_text(RESPONSE, encoding="utf-8")
    (root / "folder.yaml").mkdir()
    os.mkfifo(root / "fifo.yaml")
    (root / "link_out.yaml").symlink_to(base / "secret.yaml")
    (root / "link_zero.yaml").symlink_to("/dev/zero")
    (root / "link_in.yaml").symlink_to("ok.yaml")
    (root / "link_dir_out").symlink_to(base / "secrets")
    (root / "dangling.yaml").symlink_to(root / "nowhere.yaml")
    # A socket's path is short-lived in a long temporary folder: bind from inside.
    listener = socket.socket(socket.AF_UNIX)
    here = os.getcwd()
    os.chdir(root)
    try:
        listener.bind("socket.yaml")
    finally:
        os.chdir(here)
    try:
        yield root
    finally:
        listener.close()


def _validate(spec: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`validate` in a child bounded in memory and time: a run that reads
    `/dev/zero` or waits on a FIFO fails, and cannot take the machine down."""

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "generator", "validate", "--spec", spec.name, *args],
        cwd=spec.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=bounded,
        check=False,
    )


TRAPS = [
    ("/etc/passwd", "ref-outside-root", "is an absolute path"),
    ("{base}/secret.yaml", "ref-outside-root", "is an absolute path"),
    ("/dev/zero", "ref-outside-root", "is an absolute path"),
    ("../secret.yaml", "ref-outside-root", "leads outside the spec's folder"),
    ("sub/../../secret.yaml#/x", "ref-outside-root", "leads outside"),
    ("link_out.yaml", "ref-outside-root", "leads outside"),
    ("link_dir_out/key.yaml", "ref-outside-root", "leads outside"),
    ("link_zero.yaml", "ref-outside-root", "leads outside"),
    ("fifo.yaml", "ref-not-a-file", "it is a FIFO, not a regular file"),
    ("socket.yaml", "ref-not-a-file", "it is a socket, not a regular file"),
    ("folder.yaml", "ref-not-a-file", "it is a directory, not a regular file"),
]


@pytest.mark.parametrize(("ref", "code", "reason"), TRAPS)
def test_a_hostile_target_is_refused_where_the_ref_is(
    tree: Path, tmp_path: Path, ref: str, code: str, reason: str
) -> None:
    ref = ref.format(base=tree.parent)
    spec = tree / f"spec-{tmp_path.name}.yaml"
    spec.write_text(spec_text(ref), encoding="utf-8")
    try:
        done = _validate(spec)
    finally:
        spec.unlink()
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()  # nothing else, at exit either
    assert line.startswith(f"{spec.name}:{REF_LINE}:{REF_COLUMN}: error[{code}]: ")
    assert reason in line and line.endswith(f"(at {REF_POINTER})")
    assert MARKER not in done.stdout + done.stderr
    assert "root:x:0:0" not in done.stdout + done.stderr


def test_no_outside_text_reaches_generated_code(tree: Path, tmp_path: Path) -> None:
    """The secret is a valid response: followed, its text became a docstring."""
    spec = tree / f"spec-{tmp_path.name}.yaml"
    spec.write_text(spec_text("../secret.yaml"), encoding="utf-8")
    out = tmp_path / "out"
    try:
        status, stdout, err = run_generator(
            "generate", "--spec", str(spec), "--out", str(out), "--no-cache"
        )
    finally:
        spec.unlink()
    assert status == 1 and "error[ref-outside-root]" in err
    assert MARKER not in stdout + err
    assert not out.exists()


@pytest.mark.parametrize("name", ["fifo.yaml", "socket.yaml", "folder.yaml"])
def test_a_spec_that_is_not_a_regular_file(tree: Path, name: str) -> None:
    done = _validate(tree / name)
    assert done.returncode == 1
    assert done.stderr.startswith(f"{name}:1:1: error[spec-unreadable]: ")
    assert "not a regular file" in done.stderr and len(done.stderr.splitlines()) == 1


def test_dev_zero_as_the_spec(tmp_path: Path) -> None:
    done = _validate(Path("/dev/zero"))
    assert done.returncode == 1
    assert done.stderr == (
        "zero:1:1: error[spec-unreadable]: cannot read the spec: "
        "it is a character device, not a regular file (at #)\n"
    )


def test_a_spec_over_the_default_limit_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    """Issue 13: a 50 MB spec took 36 s and 2.1 GB. Over the limit, the run
    stops at once, at the file's size, before parsing any of it."""
    spec = tmp_path / "huge.yaml"
    item = "  - a padding line, in a spec as large as a generated one\n"
    head = SPEC_HEAD + "          description: x\nx-padding:\n"
    lines = (MAX_SPEC_BYTES - len(head)) // len(item) + 1
    spec.write_text(head + item * lines, encoding="utf-8")
    assert spec.stat().st_size > MAX_SPEC_BYTES
    done = _validate(spec)
    assert done.returncode == 1
    assert done.stderr == (
        f"huge.yaml:1:1: error[spec-too-large]: the spec holds more than "
        f"{MAX_SPEC_BYTES:,} bytes, the limit (--max-spec-bytes raises it) (at #)\n"
    )


def test_the_limit_counts_every_file_and_is_settable(
    tree: Path, tmp_path: Path
) -> None:
    spec = tree / f"spec-{tmp_path.name}.yaml"
    text = spec_text("sub/inner.yaml")
    spec.write_text(text, encoding="utf-8")
    size = len(text.encode()) + len(RESPONSE.encode())
    try:
        fits = _validate(spec, "--max-spec-bytes", str(size))
        over = _validate(spec, "--max-spec-bytes", str(size - 1))
        alone = _validate(spec, "--max-spec-bytes", str(len(text.encode()) - 1))
    finally:
        spec.unlink()
    assert fits.returncode == 0, fits.stderr
    assert over.returncode == 1
    assert over.stderr.startswith(
        f"{spec.name}:{REF_LINE}:{REF_COLUMN}: error[spec-too-large]: "
        f"with 'sub/inner.yaml', the spec's files together hold more than {size - 1:,} bytes"
    )
    assert alone.stderr.startswith(f"{spec.name}:1:1: error[spec-too-large]: ")


@pytest.mark.parametrize("bad", ["0", "-1"])
def test_a_bad_limit_is_a_usage_error(tree: Path, bad: str) -> None:
    done = _validate(tree / "ok.yaml", "--max-spec-bytes", bad)
    assert (done.returncode, done.stderr) == (
        2,
        "error: the spec size limit must be a positive number of bytes, "
        f"not {bad} (--max-spec-bytes, max_spec_bytes)\n",
    )


# --- widening the root -------------------------------------------------------


def _project(tmp_path: Path, config: str) -> Path:
    """A project whose spec refers to a shared file beside its own folder."""
    project = tmp_path / "project"
    (project / "spec").mkdir(parents=True)
    (project / "shared").mkdir()
    (project / "shared" / "ok.yaml").write_text(RESPONSE, encoding="utf-8")
    (project / "spec" / "api.yaml").write_text(
        spec_text("../shared/ok.yaml"), encoding="utf-8"
    )
    (project / "pyproject.toml").write_text(
        f'[tool.generator]\nspec = "spec/api.yaml"\n{config}', encoding="utf-8"
    )
    return project


def test_ref_root_widens_the_reach(tmp_path: Path) -> None:
    project = _project(tmp_path, "")
    spec = "spec/api.yaml"
    status, _, err = run_generator("validate", "--spec", spec, cwd=project)
    assert status == 1 and "error[ref-outside-root]" in err
    assert run_generator("validate", "--ref-root", ".", cwd=project)[0] == 0
    assert run_generator("validate", "--ref-root", "shared", cwd=project)[0] == 0
    status, _, err = run_generator(
        "validate", "--ref-root", "spec/api.yaml", cwd=project
    )
    assert (status, err) == (
        2,
        "error: the reference root spec/api.yaml is not a folder (--ref-root, ref_root)\n",
    )


def test_configured_ref_root_serves_the_configured_spec_only(tmp_path: Path) -> None:
    """`ref_root` in [tool.generator] widens the project's own spec; a spec
    given with --spec, maybe someone else's, keeps to its own folder."""
    project = _project(tmp_path, 'ref_root = "."\n')
    assert run_generator("validate", cwd=project)[0] == 0
    assert run_generator("validate", "--spec", "spec/api.yaml", cwd=project)[0] == 0
    (project / "vendor").mkdir()
    (project / "vendor" / "their.yaml").write_text(
        spec_text("../shared/ok.yaml"), encoding="utf-8"
    )
    status, _, err = run_generator(
        "validate", "--spec", "vendor/their.yaml", cwd=project
    )
    assert status == 1 and "error[ref-outside-root]" in err


# --- properties ---------------------------------------------------------------

SEGMENTS = [
    "..",
    ".",
    "",
    "sub",
    "deeper",
    "ok.yaml",
    "inner.yaml",
    "leaf.yaml",
    "root",
    "secret.yaml",
    "secrets",
    "key.yaml",
    "fifo.yaml",
    "socket.yaml",
    "folder.yaml",
    "link_out.yaml",
    "link_zero.yaml",
    "link_in.yaml",
    "link_dir_out",
    "dangling.yaml",
    "dev",
    "zero",
    "etc",
    "passwd",
    "proc",
    "self",
    "environ",
    "%2e%2e",
    "~",
]
REF_CODES = {
    "ref-outside-root",
    "ref-not-a-file",
    "ref-file-unreadable",
    "spec-too-large",
}


@st.composite
def hostile_refs(draw: st.DrawFn) -> str:
    path = "/".join(draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6)))
    if draw(st.booleans()):
        path = "/" + path
    return path + draw(st.sampled_from(["", "#", "#/description", "#/x/y"]))


NAMES = itertools.count()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(ref=hostile_refs())
def test_any_ref_reaches_regular_files_under_the_root_only(
    tree: Path, ref: str
) -> None:
    """The promise, restated from the README: a reference names a regular file
    under the spec's folder once its dot segments are removed (as in any URI)
    and its links resolved, or it is refused where it stands."""
    spec = tree / f"spec-{next(NAMES)}.yaml"
    spec.write_text(spec_text(ref), encoding="utf-8")
    try:
        loaded, problems = load(str(spec))
        assert loaded is not None
        found = {os.path.realpath(path) for path in loaded.files}
        assert all(os.path.isfile(real) for real in found)
    finally:
        spec.unlink()
    root = os.path.realpath(tree)
    assert all(os.path.commonpath([real, root]) == root for real in found)
    for problem in problems:
        assert MARKER not in problem.render()
        assert problem.code in REF_CODES
        assert (problem.line, problem.col) == (REF_LINE, REF_COLUMN)
    file_part = ref.partition("#")[0]
    target = os.path.realpath(os.path.normpath(os.path.join(tree, file_part)))
    if not file_part:
        assert problems == []
    elif (
        not os.path.isabs(file_part)
        and os.path.commonpath([target, root]) == root
        and os.path.isfile(target)
    ):
        assert problems == [] and target in found
    else:
        assert len(problems) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    spec_pad=st.integers(0, 3000),
    ref_pad=st.integers(0, 3000),
    slack=st.integers(-200, 200),
)
def test_the_size_limit_holds_for_all_files_together(
    tmp_path_factory: pytest.TempPathFactory, spec_pad: int, ref_pad: int, slack: int
) -> None:
    folder = tmp_path_factory.mktemp("sizes")
    text = spec_text("part.yaml") + "# " + "x" * spec_pad + "\n"
    part = RESPONSE + "# " + "y" * ref_pad + "\n"
    (folder / "spec.yaml").write_text(text, encoding="utf-8")
    (folder / "part.yaml").write_text(part, encoding="utf-8")
    total = len(text) + len(part)
    limit = max(1, total + slack)
    loaded, problems = load(str(folder / "spec.yaml"), limits=Limits(max_bytes=limit))
    codes = [(p.code, p.line) for p in problems]
    if total <= limit:
        assert codes == [] and loaded is not None and len(loaded.files) == 2
    elif len(text) <= limit:
        assert codes == [("spec-too-large", REF_LINE)]
    else:
        assert codes == [("spec-too-large", 1)] and loaded is None


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    depth=st.integers(MAX_DEPTH - 8, MAX_DEPTH + 8) | st.integers(1, 3 * MAX_DEPTH),
    style=st.sampled_from(["flow", "block", "json"]),
    where=st.sampled_from(["spec", "referenced"]),
)
def test_nesting_is_bounded_in_every_file(
    tmp_path_factory: pytest.TempPathFactory, depth: int, style: str, where: str
) -> None:
    """A document nesting `depth` lists under its top mapping: refused as
    yaml-too-deep past MAX_DEPTH levels, wherever the file is reached from."""
    folder = tmp_path_factory.mktemp("deep")
    if style == "flow":
        deep = "x: " + "[" * depth + "]" * depth + "\n"
    elif style == "block":
        deep = "x:\n" + "".join("  " * i + "-\n" for i in range(depth))
    else:
        deep = '{"x": ' + "[" * depth + "]" * depth + "}"
    spec = folder / "spec.yaml"
    if where == "spec":
        spec.write_text(deep, encoding="utf-8")
    else:
        spec.write_text(spec_text("deep.yaml"), encoding="utf-8")
        (folder / "deep.yaml").write_text(deep, encoding="utf-8")
    _, problems = load(str(spec))
    shown = "spec.yaml" if where == "spec" else "deep.yaml"
    too_deep = [p for p in problems if p.code == "yaml-too-deep"]
    if depth + 1 > MAX_DEPTH:  # the top mapping is a level too
        assert [(p.code, os.path.basename(p.file)) for p in problems] == [
            ("yaml-too-deep", shown)
        ]
    else:
        assert too_deep == [] and problems == []
