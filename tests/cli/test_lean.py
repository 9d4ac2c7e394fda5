"""The ``rtseg`` command defers what supervision imports but a run never calls, and the
deferred names still work when something does call them. Each check runs in a fresh
interpreter: the stand-ins only go in before supervision is first imported."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import SHARED, require_shared

HEAVY = ["scipy.linalg", "scipy.sparse", "scipy.interpolate._bsplines", "urllib3", "asyncio"]

RUN_THROUGH_THE_COMMAND = """
import json, sys
from rtseg.cli import main
code = main(["run", "--source", {image!r}, "--model", {model!r}, "--device", "cpu",
             "--jsonl", {jsonl!r}])
loaded = [name for name in {heavy!r} if name in sys.modules]
print(json.dumps({{"code": code, "loaded": loaded, "supervision": "supervision" in sys.modules}}))
"""

CALL_DEFERRED_SCIPY = """
import json, sys
import numpy as np
from rtseg.cli.lean import defer_unused_imports
defer_unused_imports()
import supervision.annotators.core as core
import supervision.dataset.utils as dataset_utils
before = "scipy.linalg" in sys.modules
x = np.linspace(0, 10, 12)
y = np.sin(x)
tck, _ = core.splprep([x, y], s=0.5)
deferred = np.array(core.splev(np.linspace(0, 1, 7), tck))
tree = dataset_utils.cKDTree(np.c_[x, y])
from scipy.interpolate import splev, splprep
from scipy.spatial import cKDTree
tck, _ = splprep([x, y], s=0.5)
real = np.array(splev(np.linspace(0, 1, 7), tck))
print(json.dumps({"before": before, "same": bool(np.array_equal(deferred, real)),
                  "tree": type(tree) is cKDTree, "real": "scipy.linalg" in sys.modules}))
"""

USE_LAZY_REQUESTS = """
import json, sys
from rtseg.cli.lean import defer_unused_imports
defer_unused_imports()
import supervision.utils.file as file_utils
before = "urllib3" in sys.modules
error = file_utils.requests.RequestException
import requests
print(json.dumps({"before": before, "after": "urllib3" in sys.modules,
                  "real": requests.RequestException is error,
                  "exception": issubclass(error, Exception)}))
"""

CALL_DEFERRED_TQDM_AND_XML = """
import io, json, sys
from rtseg.cli.lean import defer_unused_imports
defer_unused_imports()
import supervision.dataset.formats.pascal_voc as voc
import supervision.utils.video as video_utils
before = [name for name in ("asyncio", "xml.dom.minidom") if name in sys.modules]
document = voc.parseString("<annotation><size>1</size></annotation>")
with video_utils.tqdm(total=2, file=io.StringIO()) as bar:
    bar.update(2)
import tqdm.auto
print(json.dumps({"before": before, "xml": document.documentElement.tagName,
                  "tqdm": isinstance(bar, tqdm.auto.tqdm) and bar.n == 2}))
"""

TOO_LATE = """
import json, sys
import supervision
from rtseg.cli.lean import defer_unused_imports, is_stand_in
defer_unused_imports()
stand_ins = [name for name, module in sys.modules.items() if is_stand_in(module)]
print(json.dumps({"stand_ins": stand_ins}))
"""


def python(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_run_through_the_command_never_imports_scipy_or_requests(tmp_path, fp32_model):
    image = require_shared(SHARED / "media" / "highway_normal_1.png")
    jsonl = tmp_path / "r.jsonl"
    found = python(
        RUN_THROUGH_THE_COMMAND.format(
            image=str(image), model=str(fp32_model), jsonl=str(jsonl), heavy=HEAVY
        )
    )
    assert found == {"code": 0, "loaded": [], "supervision": True}
    assert len(jsonl.read_text().splitlines()) == 1


def test_deferred_scipy_names_give_scipys_results_when_called():
    found = python(CALL_DEFERRED_SCIPY)
    assert found == {"before": False, "same": True, "tree": True, "real": True}


def test_requests_loads_on_first_attribute_and_is_the_real_module():
    found = python(USE_LAZY_REQUESTS)
    assert found == {"before": False, "after": True, "real": True, "exception": True}


def test_deferred_progress_bars_and_xml_parsing_still_work():
    found = python(CALL_DEFERRED_TQDM_AND_XML)
    assert found == {"before": [], "xml": "annotation", "tqdm": True}


def test_nothing_is_deferred_once_supervision_is_imported():
    assert python(TOO_LATE) == {"stand_ins": []}
