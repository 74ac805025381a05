"""python-escpos writes its capabilities pickle on first import without a lock; processes that
import it together for the first time (parallel test workers, units started at once) must all
succeed."""

import os
import subprocess
import sys

IMPORT = (
    "from edge.devices.printer.escpos_import import ensure_escpos; ensure_escpos(); "
    "import escpos.capabilities as c; assert c.CAPABILITIES"
)


def test_processes_importing_escpos_together_on_an_empty_cache_all_succeed(tmp_path):
    env = {**os.environ, "ESCPOS_CAPABILITIES_PICKLE_DIR": str(tmp_path)}
    procs = [
        subprocess.Popen([sys.executable, "-c", IMPORT], env=env, stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    assert [f.name for f in tmp_path.iterdir() if f.suffix == ".pickle"]
