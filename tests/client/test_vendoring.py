"""Vendoring: the client folder alone, with only httpx installed, imports and works."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import GENERATED, SPEC, run_generator

PACKAGE = GENERATED / "persons_client"

# Each runs in a fresh interpreter whose sys.path is the vendored folder, the
# standard library and site-packages, and nothing of this repository.
IMPORT_ONLY = r"""
import json, sys
import persons_client
print(json.dumps(sorted(sys.modules)))
"""

USE = r"""
import json, sys
import httpx
with_httpx = set(sys.modules)
from persons_client import Client, PermissionDeniedError
from persons_client.models import PropertyFilter, PropertyFilterOperator

def handle(request):
    if request.url.path.endswith("/trends/"):
        return httpx.Response(403, json={"type": "authentication_error", "code": "permission_denied", "detail": "no", "attr": None})
    return httpx.Response(200, json={"results": [], "next": None, "previous": None})

with Client(base_url="http://x", api_key="k", transport=httpx.MockTransport(handle)) as client:
    only = [PropertyFilter(key="email", value="@", operator=PropertyFilterOperator.ICONTAINS)]
    assert list(client.paginate(client.persons_list, project_id="1", properties=only)) == []
    try:
        client.persons_trends_retrieve(project_id="1")
    except PermissionDeniedError as error:
        assert error.status_code == 403
    else:
        raise AssertionError("no 403")
print(json.dumps({
    name: getattr(module, "__file__", None)
    for name, module in sys.modules.items()
    if name not in with_httpx
}))
"""


def _run_isolated(vendor: Path, program: str) -> object:
    purelib = sysconfig.get_paths()["purelib"]
    boot = (
        "import sys; "
        f"sys.path[:] = [{str(vendor)!r}] + [p for p in sys.path if p.startswith(sys.base_prefix)] + [{purelib!r}]; "
        f"exec({program!r})"
    )
    # -I: no PYTHON* variables, no cwd or script dir; -S: no site, so no .pth
    # files (the editable install of the generator stays out of reach).
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", boot],
        cwd=vendor,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_vendored_copy_needs_only_httpx(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    shutil.copytree(PACKAGE, vendor / "persons_client")
    stdlib = set(sys.stdlib_module_names)
    # Beyond what `import httpx` itself loads, using the client loads only the
    # standard library and the vendored package, from the vendored folder.
    loaded = _run_isolated(vendor, USE)
    assert isinstance(loaded, dict)
    outside = sorted(
        n for n in loaded if n.split(".")[0] not in stdlib | {"persons_client"}
    )
    assert outside == []
    ours = {n: f for n, f in loaded.items() if n.startswith("persons_client")}
    assert set(ours) >= {
        "persons_client",
        "persons_client._runtime",
        "persons_client.client",
        "persons_client.models",
    }
    assert all(f and f.startswith(str(vendor)) for f in ours.values()), ours
    # Importing the package is cheap: httpx and the operation table load on first use.
    imported = _run_isolated(vendor, IMPORT_ONLY)
    assert isinstance(imported, list)
    assert not [
        n for n in imported if n.split(".")[0] in ("httpx", "httpcore", "anyio")
    ]
    assert "persons_client.client" not in imported


def test_package_ships_typing_marker_readme_and_spec_hash() -> None:
    names = {path.name for path in PACKAGE.iterdir() if path.is_file()}
    assert {
        "py.typed",
        "README.md",
        "__init__.py",
        "_runtime.py",
        "client.py",
        "models.py",
    } <= names
    readme = (PACKAGE / "README.md").read_text("utf-8")
    client = (PACKAGE / "client.py").read_text("utf-8")
    operations = re.findall(r"^    def (\w+)\(", client, flags=re.M)
    assert len(operations) > 10
    for name in operations:
        # Every operation has its heading; an operation of another URL scope
        # refers to its twin, which shows the call.
        _, heading, entry = readme.partition(f"#### `{name}`")
        assert heading, name
        entry = entry.split("\n#### ", 1)[0]
        twin = re.search(r"as\s+\[`(\w+)`\]\(#\1\)", entry)
        assert f"result = client.{twin[1] if twin else name}(" in readme, name
    sha = re.search(
        r'SPEC_SHA256 = "([0-9a-f]{64})"', (PACKAGE / "__init__.py").read_text("utf-8")
    )
    assert sha and re.search(rf"sha256\s+`{sha[1]}`", readme)


def _spec_sha(package: Path) -> str:
    found = re.search(
        r'SPEC_SHA256 = "([0-9a-f]{64})"', (package / "__init__.py").read_text("utf-8")
    )
    return found[1] if found else ""


def test_generate_and_check_the_client_alone(tmp_path: Path) -> None:
    out = tmp_path / "third_party"
    status, _, err = run_generator("generate", "--only", "client", "--out", str(out))
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["persons_client"]
    package = out / "persons_client"
    assert {p.name for p in package.iterdir()} == {
        p.name for p in PACKAGE.iterdir() if p.is_file()
    }
    sha = _spec_sha(package)
    assert sha in (package / "README.md").read_text("utf-8")
    # The hash is the spec's: edit the spec (a comment will do) and it changes.
    edited = tmp_path / "spec" / SPEC.name
    edited.parent.mkdir()
    edited.write_text(SPEC.read_text("utf-8") + "\n# edited\n", encoding="utf-8")
    other = tmp_path / "other"
    args = ("--spec", str(edited), "--client-package", "persons_client")
    status, _, err = run_generator(
        "generate", "--only", "client", "--out", str(other), *args
    )
    assert status == 0, err
    assert _spec_sha(other / "persons_client") not in ("", sha)
    status, _, err = run_generator("check", "--only", "client", "--out", str(out))
    assert status == 0, err
    (package / "client.py").write_text("# edited\n", encoding="utf-8")
    status, out_text, err = run_generator(
        "check", "--only", "client", "--out", str(out)
    )
    assert status == 1 and "client.py" in out_text + err
