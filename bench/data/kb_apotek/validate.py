"""Check the Apoteket Lindblom knowledge base and its question set, and print the counts.

    python bench/data/kb_apotek/validate.py          # exit 1 on any problem
    python bench/data/kb_apotek/validate.py --markdown  # the counts as the README's table

Checks: every article parses (YAML front matter between '---' lines, the keys of SPEC's article file
format), slugs are unique and equal to the file names, every article has 4-8 example questions and a body
of 60-200 words; every line of questions.jsonl is a JSON object {"question", "expected", "split"}, every
expected slug exists, no question is repeated (case and spacing ignored), no question repeats an article's
example question, and each article's questions split evenly between dev and test (out of scope too).

A question's language is not stored; it is guessed here from common function words (English if it has
more English than Swedish ones). It is only used for the counts.
"""

from __future__ import annotations

import collections
import difflib
import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
KEYS = {"slug", "title", "lang", "tags", "status", "questions"}
SPLITS = ("dev", "test")

EN_WORDS = set(
    "the a an i my me is are was do does did can could how what when where why which who whats what's "
    "to for of on in it its it's you your with and or not don't doesn't can't isn't haven't hasn't "
    "there this that any there's i'm have has get got will should from at by be please pls "
    "shipping delivery fee fees postage threshold prescription prescriptions order refund".split()
)
SV_WORDS = set(
    "jag du vi ni är e var vad hur när varför vilken vilka vem kan kunde får man det de den en ett och "
    "eller inte på i till för med har hade mina min mitt ert er era nån något nåt som om så går gör "
    "att hos från dom blir hej asså typ o".split()
)


def guess_lang(text: str) -> str:
    words = re.findall(r"[\w'’]+", text.lower())
    en = sum(w in EN_WORDS for w in words)
    sv = sum(w in SV_WORDS for w in words)
    if re.search(r"[åäö]", text.lower()):
        sv += 1
    return "en" if en > sv else "sv"


def norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def read_article(path: Path, problems: list[str]) -> dict | None:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n(.*)\Z", text, re.S)
    if not m:
        problems.append(f"{path.name}: no front matter")
        return None
    try:
        front = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        problems.append(f"{path.name}: bad YAML: {e}")
        return None
    if not isinstance(front, dict) or set(front) - KEYS or not {"slug", "title"} <= set(front):
        problems.append(
            f"{path.name}: front matter keys must be among {sorted(KEYS)}, slug and title required"
        )
        return None
    article = {**front, "body": m.group(2)}
    if article["slug"] != path.stem:
        problems.append(f"{path.name}: slug {article['slug']!r} differs from the file name")
    if article.get("status") != "published":
        problems.append(f"{path.name}: status is not published")
    if article.get("lang") not in ("sv", "en"):
        problems.append(f"{path.name}: lang must be sv or en")
    if article["lang"] == "en" and not article["slug"].endswith("-en"):
        problems.append(f"{path.name}: an English article's slug must end in -en")
    qs = article.get("questions") or []
    if not (4 <= len(qs) <= 8) or not all(isinstance(q, str) and q.strip() for q in qs):
        problems.append(f"{path.name}: needs 4-8 non-empty example questions, has {len(qs)}")
    words = len(article["body"].split())
    if not 60 <= words <= 200:
        problems.append(f"{path.name}: body has {words} words, not 60-200")
    return article


def main() -> int:
    problems: list[str] = []
    articles: dict[str, dict] = {}
    for path in sorted((HERE / "articles").glob("*.md")):
        a = read_article(path, problems)
        if a is None:
            continue
        if a["slug"] in articles:
            problems.append(f"{path.name}: duplicate slug {a['slug']!r}")
        articles[a["slug"]] = a
    for slug in articles:
        if slug.endswith("-en") and slug[:-3] not in articles:
            problems.append(f"{slug}: no Swedish article {slug[:-3]!r}")

    examples = {norm(q): slug for slug, a in articles.items() for q in a.get("questions") or []}
    seen: dict[str, int] = {}
    rows = []
    with (HERE / "questions.jsonl").open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"questions.jsonl:{n}: not JSON: {e.msg}")
                continue
            if not isinstance(row, dict) or set(row) != {"question", "expected", "split"}:
                problems.append(f"questions.jsonl:{n}: keys must be question, expected, split")
                continue
            q, exp, split = row["question"], row["expected"], row["split"]
            if not isinstance(q, str) or not q.strip():
                problems.append(f"questions.jsonl:{n}: empty question")
                continue
            if exp is not None and exp not in articles:
                problems.append(f"questions.jsonl:{n}: unknown expected slug {exp!r}")
            if split not in SPLITS:
                problems.append(f"questions.jsonl:{n}: split must be dev or test")
            key = norm(q)
            if key in seen:
                problems.append(f"questions.jsonl:{n}: duplicate of line {seen[key]}: {q!r}")
            seen[key] = n
            if key in examples:
                problems.append(f"questions.jsonl:{n}: is an example question of {examples[key]}: {q!r}")
            close = difflib.get_close_matches(key, list(examples), n=1, cutoff=0.85)
            if close and close[0] != key:
                problems.append(
                    f"questions.jsonl:{n}: {q!r} is nearly example {close[0]!r} of {examples[close[0]]}"
                )
            rows.append(row)

    per_article = collections.Counter((r["expected"], r["split"]) for r in rows)
    for slug in [*articles, None]:
        dev, test = per_article[(slug, "dev")], per_article[(slug, "test")]
        if slug is not None and not 8 <= dev + test <= 12:
            problems.append(f"{slug}: {dev + test} questions, not 8-12")
        if abs(dev - test) > (0 if slug is not None else 1):
            problems.append(f"{slug or 'out of scope'}: dev {dev} / test {test} is not half/half")

    counts = collections.Counter()
    for r in rows:
        scope = "in scope" if r["expected"] is not None else "out of scope"
        lang = guess_lang(r["question"])
        for split in (r["split"], "all"):
            counts[(split, scope, lang)] += 1
    art_langs = collections.Counter(a["lang"] for a in articles.values())

    markdown = "--markdown" in sys.argv
    header = ["", "in scope sv", "in scope en", "out of scope sv", "out of scope en", "total"]
    table = []
    for split in (*SPLITS, "all"):
        cells = [counts[(split, s, lang)] for s in ("in scope", "out of scope") for lang in ("sv", "en")]
        table.append([split, *map(str, cells), str(sum(cells))])
    if markdown:
        print(f"Articles: {len(articles)} ({art_langs['sv']} Swedish, {art_langs['en']} English)\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in table:
            print("| " + " | ".join(line) + " |")
    else:
        print(f"articles: {len(articles)} ({art_langs['sv']} sv, {art_langs['en']} en)")
        print(*(f"{h:>16}" for h in header))
        for line in table:
            print(*(f"{c:>16}" for c in line))
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
