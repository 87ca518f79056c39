"""The pipeline from a spec path to `{path: text}`: load, validate, build, render, format.

A pure function of (spec, templates, options), apart from the format cache it
is handed; only `cli` touches the output folder, prints or exits.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from . import diagnostics as diag
from .cache import Cache, ValidationMemo
from .files import MAX_SPEC_BYTES, Unreadable, read_regular
from .load import Limits, Spec, load
from .validate import left_out, validate, without

# build, render and format are imported where they are used: on a warm cache
# the validation child forks before they are, and starts its own work sooner.


@dataclass(frozen=True)
class Options:
    spec: str
    client_package: str = ""
    server_package: str = ""
    only: str | None = None
    api_key_env: str = ""
    strict: bool = False
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    bytecode_dir: str | None = None  # compiled templates, when caching
    # An output folder whose files, where their stamps hold, need no black (check).
    stamped_out: str | None = None
    ref_root: str | None = None  # a folder $refs may reach besides the spec's
    max_spec_bytes: int = MAX_SPEC_BYTES

    @property
    def limits(self) -> Limits:
        roots = () if self.ref_root is None else (self.ref_root,)
        return Limits(roots, self.max_spec_bytes)


@dataclass
class Result:
    files: dict[str, str] | None
    diagnostics: list[diag.Diagnostic]
    spec_files: dict[str, str] = field(default_factory=dict)  # path -> sha256


def check_spec(options: Options) -> Result:
    """Load and validate only: what `python -m generator validate` reports."""
    spec, problems = load(options.spec, limits=options.limits)
    if spec is None or diag.has_errors(problems):
        return Result(None, _sorted(problems))
    return Result(None, _sorted(problems + validate(spec)), _hashes(spec))


def run(options: Options, cache: Cache | None) -> Result:
    """The whole pipeline. Validation runs in a forked process meanwhile: the
    OpenAPI schema check is the slowest step, and nothing else depends on it
    except the decision, at the end, whether there is anything to write."""
    memo = cache.validation if cache is not None else None
    early: _Background[Any, _Validated] | None = None
    if options.jobs > 1 and memo is not None and memo.key and _small(options.spec):
        # A warm memo leaves little to validate: the validator's import is
        # most of the child's work. Started now, it overlaps our imports and
        # load; the child loads the spec itself, which on a small spec costs
        # less than waiting for ours.
        early = _Background(_load_and_validate, (options.spec, options.limits, memo))
    spec, problems = load(
        options.spec, cache.specs if cache is not None else None, options.limits
    )
    if spec is None or diag.has_errors(problems):
        if early is not None:
            early.wait()
        return Result(None, _sorted(problems))
    validation = early
    if validation is None and options.jobs > 1:
        validation = _Background(_validate, (spec, memo))
    valid: list[diag.Diagnostic] | None = None
    # What the first build is made without, until validation says the rest.
    applied = left_out(spec) if validation is not None else []
    # Formatted blocks, kept for this run at least: a second build (below)
    # formats only what differs from the first.
    blocks = cache if cache is not None else Cache()
    first: _Pass | None = None
    try:
        if validation is None:
            valid = applied = validate(spec, memo)
        first = _generate(
            without(spec, applied), options, blocks, validating=validation
        )
    except Exception:
        # On an invalid spec a crash downstream is expected noise; report the spec.
        if valid is None and validation is not None:
            valid = _collect(validation, spec, memo, cache)
        if valid is not None and diag.has_errors(valid):
            return Result(None, _sorted(problems + valid), _hashes(spec))
        if valid is None or not _drops(valid, applied):
            raise
        # built again below, without what it drops
    finally:
        if valid is None and validation is not None:
            valid = _collect(validation, spec, memo, cache)
    assert valid is not None
    done = first
    if _drops(valid, applied) and not diag.has_errors(valid, strict=options.strict):
        # Built meanwhile on more than validation leaves: again, on what it
        # leaves. What the drops leave as it was is not rendered again, and
        # the format cache keeps the rest short.
        done = _generate(without(spec, valid), options, blocks, first)
    assert done is not None
    diagnostics = _sorted(problems + valid + done.problems)
    if done.files is None or diag.has_errors(diagnostics, strict=options.strict):
        return Result(None, diagnostics, _hashes(spec))
    return Result(done.files, diagnostics, _hashes(spec))


def _drops(diagnostics: list[diag.Diagnostic], applied: list[diag.Diagnostic]) -> bool:
    """Whether `diagnostics` leave out anything that `applied` did not."""
    done = set(applied)
    return any(d.drops and d not in done for d in diagnostics)


def _collect(
    validation: _Background[Any, _Validated],
    spec: Spec,
    memo: ValidationMemo | None,
    cache: Cache | None,
) -> list[diag.Diagnostic]:
    """The child's diagnostics, for the spec loaded here; the memo it left, kept."""
    found, validated, hashes = validation.result()
    if hashes is not None and hashes != _hashes(spec):
        return validate(spec, memo)  # the file changed between the two loads
    if cache is not None and validated is not None:
        cache.validation = validated  # the child updated its own copy
    return found


# Below this size the child's own load is cheaper than the validator's import.
EARLY_FORK_BYTES = 300_000


def _small(path: str) -> bool:
    try:
        return os.path.getsize(path) < EARLY_FORK_BYTES
    except OSError:
        return False


@dataclass
class _Pass:
    """What one build and render gave: the API built, the files (None when the
    build stopped) and the build's problems."""

    api: Any
    files: dict[str, str] | None
    problems: list[diag.Diagnostic]


def _generate(
    spec: Spec,
    options: Options,
    cache: Cache | None,
    before: _Pass | None = None,
    validating: _Background[Any, _Validated] | None = None,
) -> _Pass:
    """Build and render `spec`; given the pass `before` it (on the spec as
    written), its files stand where the API built is the same. The server
    side renders in a forked child when a core is spare: not while
    `validating` still runs, as the two would only take turns on it."""
    from . import build as build_stage
    from .format import format_files
    from .render import RenderOptions, render, render_again

    api, problems = build_stage.build(
        spec, build_stage.Options(options.client_package, options.server_package)
    )
    if api is None or diag.has_errors(problems, strict=options.strict):
        return _Pass(api, None, problems)
    if before is not None and before.files is not None:
        files = render_again(api, before.api, before.files)
        if files is not None:
            return _Pass(api, files, problems)
    api_key_env = (
        options.api_key_env
        or f"{api.client_package.removesuffix('_client').upper()}_API_KEY"
    )
    render_options = RenderOptions(
        only=options.only, api_key_env=api_key_env, bytecode_dir=options.bytecode_dir
    )
    spare = validating is None or not validating.running()
    if options.jobs > 1 and options.only is None and spare:
        server = _Background(
            _render, (api, dataclasses.replace(render_options, only="server"))
        )
        rendered = render(api, dataclasses.replace(render_options, only="client"))
        rendered += server.result()
    else:
        rendered = render(api, render_options)
    previous = _reader(options.stamped_out) if options.stamped_out else None
    files = format_files(rendered, cache, options.jobs, previous)
    return _Pass(api, files, problems)


def _reader(folder: str) -> Callable[[str], str | None]:
    """The text of a file under `folder`, or None."""

    def read(path: str) -> str | None:
        try:
            return read_regular(os.path.join(folder, path)).decode("utf-8")
        except (Unreadable, UnicodeDecodeError):
            return None

    return read


def _render(job: tuple[Any, Any]) -> Any:
    from .render import render

    api, render_options = job
    return render(api, render_options)


def _hashes(spec: Spec) -> dict[str, str]:
    return {
        s.path: hashlib.sha256(s.text.encode()).hexdigest() for s in spec.files.values()
    }


# Diagnostics, the memo as validation left it, and the hashes of the spec files
# validated when the child loaded them itself.
_Validated = tuple[list[diag.Diagnostic], ValidationMemo | None, dict[str, str] | None]


def _validate(job: tuple[Spec, ValidationMemo | None]) -> _Validated:
    spec, memo = job
    return validate(spec, memo), memo, None


def _load_and_validate(
    job: tuple[str, Limits, ValidationMemo | None],
) -> _Validated:
    path, limits, memo = job
    spec, problems = load(path, limits=limits)
    if spec is None or diag.has_errors(problems):
        return [], memo, {}  # the parent reports what its own load finds
    return validate(spec, memo), memo, _hashes(spec)


Job = TypeVar("Job")
Out = TypeVar("Out")


class _Background(Generic[Job, Out]):
    """Runs `function(job)` in a forked child, which inherits the loaded spec;
    only the result is pickled, back to the parent."""

    _jobs: dict[int, tuple[Callable[[Any], Any], Any]] = {}
    _count = 0

    def __init__(self, function: Callable[[Job], Out], job: Job) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Read by the child after fork, never pickled; only the key is.
        _Background._count += 1
        self._key = _Background._count
        _Background._jobs[self._key] = (function, job)
        self._pool = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("fork")
        )
        # The child forks in `submit`. Frozen, the objects it inherits are
        # left out of its garbage collections, which would otherwise write to
        # (and so copy) every page holding one.
        gc.freeze()
        try:
            self._future = self._pool.submit(_run_job, self._key)
        finally:
            gc.unfreeze()
        self._done = False
        self._result: Out

    def result(self) -> Out:
        if not self._done:
            try:
                self._result = self._future.result()  # type: ignore[assignment]
                self._done = True
            finally:
                self._pool.shutdown()
                _Background._jobs.pop(self._key, None)
        return self._result

    def running(self) -> bool:
        return not self._done and not self._future.done()

    def wait(self) -> None:
        """Until the child is done, its result or failure unwanted."""
        try:
            self.result()
        except Exception:
            pass


def _run_job(key: int) -> object:
    function, job = _Background._jobs[key]
    return function(job)


def _sorted(problems: list[diag.Diagnostic]) -> list[diag.Diagnostic]:
    return sorted(dict.fromkeys(problems), key=lambda d: d.sort_key)
