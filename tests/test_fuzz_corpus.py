"""Every input the fuzz campaign (benchmarks/fuzz_parsers.py) found a crash, hang or noise with, replayed through the
same entry point and judged by the same rules: a documented outcome whose message is one line, never a traceback.

The inputs live in ``tests/fuzz_corpus/<target>/`` (minimised, each under 64 KB); the targets and their rules in
``benchmarks/fuzz/targets.py``, loaded from there so the campaign and this test cannot drift apart. A Rust panic in
fitfast is caught by parse_fit but still prints to fd 2: the last tests check in a fresh process that parsing the
FIT inputs that made fitfast panic leaves stderr empty.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fuzz_corpus"
TARGETS_FILE = ROOT / "benchmarks" / "fuzz" / "targets.py"

# A numpy warning would print to the runner's terminal beside the plain message: it fails the test too.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# Findings whose fix belongs in files this change may not touch: kept as strict expected failures, so the day the fix
# lands the test says so (and the entry goes).
# Findings whose fix is still open, as strict xfails (none now: the empty-name entry and the member name holding a
# newline were fixed in ingest/sources.py).
OPEN_FINDINGS: dict[str, str] = {}


def _load_targets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gluteguard_fuzz_targets", TARGETS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


targets = _load_targets()
RUNNERS: dict[str, targets.Runner] = {}


def _runner(target: str) -> targets.Runner:
    if target not in RUNNERS:
        RUNNERS[target] = targets.TARGETS[target].load()
    return RUNNERS[target]


def _corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*") if p.is_file() and p.suffix != ".md")


def _case(path: Path) -> object:
    key = f"{path.parent.name}/{path.name}"
    marks = [pytest.mark.xfail(strict=True, reason=OPEN_FINDINGS[key])] if key in OPEN_FINDINGS else []
    return pytest.param(path, id=key, marks=marks)


def test_the_corpus_is_small_and_every_folder_is_a_target() -> None:
    files = _corpus_files()
    assert len(files) >= 15
    assert {p.parent.name for p in files} <= set(targets.TARGETS)
    assert all(p.stat().st_size < 64 * 1024 for p in files)
    assert sum(p.stat().st_size for p in files) < 2 * 1024 * 1024


@pytest.mark.parametrize("path", [_case(p) for p in _corpus_files()])
def test_saved_fuzz_input_gives_a_clean_outcome(path: Path, tmp_path: Path) -> None:
    finding = targets.judge(_runner(path.parent.name), path.read_bytes(), tmp_path)
    assert finding is None, f"{finding.kind}: {finding.signature}\n{finding.detail}"


def test_the_judge_can_fail() -> None:
    """The rules are real: an exception that is no documented refusal, or a refusal of two lines, is a finding."""
    from gluteguard.ingest.model import ParseError

    def crashes(_data: bytes, _scratch: Path) -> None:
        raise TypeError("int() argument must be a string")

    def refuses_in_two_lines(_data: bytes, _scratch: Path) -> None:
        try:
            raise ParseError("not a FIT file\nTraceback (most recent call last)")
        except ParseError as exc:
            targets.one_line("refusal", str(exc))

    crash = targets.judge(crashes, b"", Path("."))
    assert crash is not None and crash.kind == "crash" and crash.signature.startswith("TypeError at ")
    unclean = targets.judge(refuses_in_two_lines, b"", Path("."))
    assert unclean is not None and unclean.kind == "unclean"


# --- Rust panics must not reach stderr ------------------------------------------------------------------------------

PANIC_INPUTS = sorted(p for p in (CORPUS / "fit_auto").glob("rust-panic-*") if p.is_file())

_PARSE_ALL = """
import sys
from pathlib import Path
from gluteguard.ingest.fit import parse_fit
from gluteguard.ingest.model import ParseError
for name in sys.argv[1:]:
    try:
        parse_fit(Path(name).read_bytes())
    except ParseError:
        pass
print("parsed", len(sys.argv) - 1)
"""

_FITFAST_DIRECTLY = """
import sys
from pathlib import Path
import fitfast
try:
    fitfast.records(Path(sys.argv[1]).read_bytes(), "record")
except BaseException as exc:
    print(type(exc).__name__)
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_the_panic_inputs_do_make_fitfast_panic() -> None:
    """Each saved panic input still panics fitfast when it is called directly (so the next test proves something)."""
    assert len(PANIC_INPUTS) >= 2
    for path in PANIC_INPUTS:
        result = _python(_FITFAST_DIRECTLY, str(path))
        if result.stdout.strip() != "PanicException":
            pytest.skip(f"fitfast no longer panics on {path.name}: fit_scan's hazard check may be dropped")
        assert "panicked at" in result.stderr


def test_parse_fit_keeps_stderr_empty_on_inputs_that_make_fitfast_panic(tmp_path: Path) -> None:
    from gluteguard.ingest.fit_scan import scan_fit
    from gluteguard.samples.fitwriter import encode_fit
    from gluteguard.samples.runner import one_hour_synthetic_run

    # tests/test_import_fuzz.py's reproducer: a field size of 255 where the record message defines a field.
    damaged = bytearray(encode_fit(one_hour_synthetic_run(1)))
    damaged[103] = 0xFF
    generated = tmp_path / "field-size-255.fit"
    generated.write_bytes(bytes(damaged))
    inputs = [*PANIC_INPUTS, generated]
    for path in inputs:
        assert scan_fit(path.read_bytes()).fitfast_hazard is not None, path.name
    result = _python(_PARSE_ALL, *map(str, inputs))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"parsed {len(inputs)}"
    assert result.stderr == ""
