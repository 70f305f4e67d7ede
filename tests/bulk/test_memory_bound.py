"""The embedded engine streams: reading an export per patient needs memory bounded by the
DuckDB memory limit, not by the export. Two synthetic exports, the larger three times the
smaller and larger than the limit, are read in fresh processes; the peak memory of the larger
may not grow with it. (Peak RSS of a child process does not depend on what else runs, so this
runs in the parallel stage, not with the timing tests.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cds.bulk.synth import write_export

LIMIT = "128MB"
_READ = """
import resource, sys
from pathlib import Path
from cds.bulk.export import ExportReader, export_files
reader = ExportReader(export_files(Path(sys.argv[1])), memory_limit=sys.argv[2], threads=1)
patients = sum(1 for _ in reader.patients())
reader.close()
print(patients, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _peak_mb(export: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(export), LIMIT],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    patients, peak = done.stdout.split()[-2:]
    return int(patients), int(peak)


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 2**20


def test_memory_is_flat_in_the_number_of_patients(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    write_export(small, patients=10_000, seed=1)
    write_export(large, patients=30_000, seed=1)
    assert _size_mb(large) > 128  # larger than the memory limit
    n_small, peak_small = _peak_mb(small)
    n_large, peak_large = _peak_mb(large)
    assert (n_small, n_large) == (10_000, 30_000)
    grown = peak_large - peak_small
    # Three times the data, far less than a third more memory (the export itself is 2/3 larger).
    assert grown < 0.25 * (_size_mb(large) - _size_mb(small)), (peak_small, peak_large)
