"""Search quality and speed on the evaluation set: does the right knowledge article come first?

    uv run python bench/search_eval.py --write-queries          # (re)write bench/search_eval_queries.jsonl
    OPSDESK_DATA_DIR=bench/out/eval-sqlite uv run python bench/search_eval.py
    OPSDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/search_eval uv run python bench/search_eval.py
    ... --incidents 1000000     # the same queries with a million incidents in the index

The corpus: the 2,025 articles of bench/search_eval_data.py (published, on one contract) and N incidents
(default 20,000) generated from bench/search_bench.py's templates, all in the search index. The queries:
bench/search_eval_queries.jsonl, 60 per kind of query (keyword, colloquial, abbreviated, synonym, typo,
code), each with the articles that answer it. Each query runs as the contract's agent:

- "search": the search box limited to knowledge articles (`search(types=["article"])`);
- "suggest": the suggestions of the new-incident form (`similar(kinds_statuses={"article": ["published"]})`);
- "baseline": BM25 over character bigrams of the articles' text (k1=1.2, b=0.75, any bigram may match), in
  Python, on the same articles and queries: what a naive index gives.

Reported per kind and overall: hit@3 ("recall@3": a relevant article among the first three), MRR (1/rank of
the first relevant article, 0 beyond rank 10), and p50/p95 latency of the in-process call (no HTTP).
`--json` prints the numbers as JSON; `--failures` lists the queries whose first relevant article is not first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

import search_eval_data as data  # noqa: E402

QUERIES_FILE = ROOT / "bench" / "search_eval_queries.jsonl"
KINDS = ["keyword", "colloquial", "abbreviated", "synonym", "typo", "code"]
PER_KIND = 60
DEPTH = 10
NUMBER_PREFIX = "KB-EVAL-"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write-queries", action="store_true", help="sample the queries again and write the file")
    p.add_argument("--incidents", type=int, default=20000, help="incidents in the index (added when fewer)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--modes", default="search,suggest,baseline")
    p.add_argument("--rounds", type=int, default=3, help="timed runs of each query (latency)")
    p.add_argument("--no-nicknames", action="store_true",
                   help="switch off the operators' synonym groups of the systems' nicknames (see below)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--failures", action="store_true")
    return p.parse_args()


# --- the query set -----------------------------------------------------------------------------------------

def relevant_keys(spec: data.ArticleSpec, typed_subject: str, specs: list[data.ArticleSpec]) -> list[str]:
    """The articles answering a query about `spec`'s problem that names its subject as `typed_subject`: the
    same problem of every subject the typed name covers (电脑 covers desktops and laptops)."""
    return sorted(s.key for s in specs if s.problem == spec.problem and data.answers(s.subject, typed_subject))


def write_queries(seed: int) -> None:
    rng = random.Random(seed)
    specs = data.articles()
    out = []
    for kind in KINDS:
        pool = [(spec, q, typed) for spec in specs for q, typed in spec.queries.get(kind, [])]
        # Spread over the articles: one query per article drawn, articles drawn without repetition.
        by_article: dict[str, list[tuple[data.ArticleSpec, str, str]]] = defaultdict(list)
        for item in pool:
            by_article[item[0].key].append(item)
        keys = sorted(by_article)
        rng.shuffle(keys)
        seen: set[str] = set()
        for key in keys:
            spec, q, typed = rng.choice(by_article[key])
            if q in seen:
                continue
            seen.add(q)
            out.append({"kind": kind, "q": q, "relevant": relevant_keys(spec, typed, specs)})
            if sum(1 for o in out if o["kind"] == kind) == PER_KIND:
                break
    with QUERIES_FILE.open("w", encoding="utf-8") as f:
        for row in out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(out)} queries written to {QUERIES_FILE.relative_to(ROOT)}")


def load_queries() -> list[dict]:
    return [json.loads(line) for line in QUERIES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- the corpus in the database ----------------------------------------------------------------------------

def load_articles(contract, author) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """The evaluation articles, created once; returns article id -> spec key."""
    from django.db import transaction
    from django.utils import timezone

    from opsdesk.knowledge.models import KnowledgeArticle

    specs = data.articles()
    numbers = {f"{NUMBER_PREFIX}{i:05d}": spec for i, spec in enumerate(specs)}
    existing = KnowledgeArticle.objects.filter(number__startswith=NUMBER_PREFIX)
    if existing.count() != len(specs):
        existing.delete()
        now = timezone.now()
        with transaction.atomic():
            KnowledgeArticle.objects.bulk_create([
                KnowledgeArticle(number=number, contract=contract, organisation_id=contract.organisation_id,
                                 title=spec.title, symptom=spec.symptom, cause=spec.cause, solution=spec.solution,
                                 keywords=spec.keywords, affected_systems=spec.systems, audience=spec.audience,
                                 status="published", author=author, revision=1, published_at=now)
                for number, spec in numbers.items()], batch_size=500)
    return {pk: numbers[number].key for pk, number in
            KnowledgeArticle.objects.filter(number__startswith=NUMBER_PREFIX).values_list("pk", "number")}


NICKNAMES_NOTE = "search_eval: system nicknames"


def ensure_nicknames(agent, active: bool) -> None:  # type: ignore[no-untyped-def]
    """What the operators of a contract configure on day one: each business system's nicknames as a synonym
    group (官网 = 门户网站, 云终端 = 瘦客户机), through the same service as the admin page."""
    from opsdesk.search.models import SynonymGroup
    from opsdesk.search.services import synonym_group_save

    groups = {g.terms: g for g in SynonymGroup.objects.filter(note=NICKNAMES_NOTE)}
    for subj in data.SYSTEMS + data.DEVICES:
        terms = "=".join(dict.fromkeys([subj.name, *subj.said]))
        group = groups.get(terms)
        if group is None or group.is_active != active:
            synonym_group_save(by=agent, terms=terms, note=NICKNAMES_NOTE, is_active=active, group=group)


def ensure_index(incidents: int, seed: int, *, nicknames: bool = True) -> dict:
    import search_bench
    from opsdesk.incidents.models import Incident
    from opsdesk.knowledge.models import KnowledgeArticle
    from opsdesk.search.models import SearchEntry, SearchPending
    from opsdesk.search.services import drain_all, search_rebuild

    _orgs, contracts, agents, requesters = search_bench.setup_world()
    ids = load_articles(contracts[0], agents[0])
    ensure_nicknames(agents[0], nicknames)
    have = Incident.objects.filter(number__startswith="INC-BENCH-").count()
    if have < incidents:
        search_bench.generate(incidents - have, random.Random(seed + have), contracts, requesters, agents)
    timings = {}
    for kind, model in (("article", KnowledgeArticle), ("incident", Incident)):
        if SearchEntry.objects.filter(kind=kind).count() != model.objects.count():
            SearchPending.objects.filter(kind=kind).delete()
            [result] = search_rebuild(kinds=[kind], batch_size=2000)
            timings[kind] = {"rows": result.rows, "seconds": round(result.seconds, 1)}
    drain_all()
    return {"agent": agents[0], "contract": contracts[0], "ids": ids, "rebuilt": timings,
            "incidents": Incident.objects.count(), "articles": KnowledgeArticle.objects.count()}


# --- the naive baseline ------------------------------------------------------------------------------------

def _bigrams(text: str) -> list[str]:
    chars = [c for c in text.lower() if c.isalnum()]
    return ["".join(chars[i:i + 2]) for i in range(len(chars) - 1)] or chars


class BigramBM25:
    def __init__(self, docs: dict[str, str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf: dict[str, Counter[str]] = {k: Counter(_bigrams(t)) for k, t in docs.items()}
        self.len = {k: sum(c.values()) for k, c in self.tf.items()}
        self.avg = sum(self.len.values()) / max(1, len(self.len))
        self.postings: dict[str, list[str]] = defaultdict(list)
        for k, c in self.tf.items():
            for g in c:
                self.postings[g].append(k)
        n = len(docs)
        self.idf = {g: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for g, p in self.postings.items()}

    def search(self, q: str, limit: int = DEPTH) -> list[str]:
        scores: dict[str, float] = defaultdict(float)
        for g in set(_bigrams(q)):
            for k in self.postings.get(g, ()):
                f = self.tf[k][g]
                norm = self.k1 * (1 - self.b + self.b * self.len[k] / self.avg)
                scores[k] += self.idf[g] * f * (self.k1 + 1) / (f + norm)
        return [k for k, _s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


# --- measuring ---------------------------------------------------------------------------------------------

def _rank(found: list[str], relevant: set[str]) -> int | None:
    for i, key in enumerate(found[:DEPTH], 1):
        if key in relevant:
            return i
    return None


def evaluate(mode: str, queries: list[dict], world: dict | None, rounds: int) -> dict:
    if mode == "baseline":
        specs = data.articles()
        engine = BigramBM25({s.key: " ".join((s.title, s.keywords, s.systems, s.symptom, s.cause, s.solution))
                             for s in specs})

        def run(q: str) -> list[str]:
            return engine.search(q)
    else:
        from opsdesk.search.selectors import SearchFilters, search, similar

        assert world is not None
        agent, ids = world["agent"], world["ids"]

        def run(q: str) -> list[str]:
            if mode == "search":
                hits = search(visible_to=agent, filters=SearchFilters(q=q, types=["article"], limit=DEPTH))
            else:
                hits = similar(visible_to=agent, draft=q, kinds_statuses={"article": ["published"]}, limit=DEPTH)
            return [ids.get(h.object_id, "?") for h in hits]

    per_kind: dict[str, dict[str, list]] = defaultdict(lambda: {"ranks": [], "times": []})
    failures = []
    for row in queries:
        run(row["q"])  # warm (segmenter caches)
    for row in queries:
        times = []
        found: list[str] = []
        for _ in range(rounds):
            t = time.perf_counter()
            found = run(row["q"])
            times.append((time.perf_counter() - t) * 1000)
        rank = _rank(found, set(row["relevant"]))
        per_kind[row["kind"]]["ranks"].append(rank)
        per_kind[row["kind"]]["times"].extend(times)
        if rank != 1:
            failures.append({"kind": row["kind"], "q": row["q"], "rank": rank, "relevant": row["relevant"][:3],
                             "got": found[:3]})
    out: dict = {"kinds": {}, "failures": failures}
    all_ranks: list = []
    all_times: list = []
    for kind in KINDS:
        d = per_kind.get(kind)
        if not d:
            continue
        out["kinds"][kind] = _summary(d["ranks"], d["times"])
        all_ranks += d["ranks"]
        all_times += d["times"]
    out["all"] = _summary(all_ranks, all_times)
    return out


def _summary(ranks: list, times: list) -> dict:
    times = sorted(times)
    return {"n": len(ranks), "recall_at_3": round(sum(1 for r in ranks if r and r <= 3) / len(ranks), 3),
            "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 3),
            "p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}


def main() -> int:
    args = parse_args()
    if args.write_queries:
        write_queries(args.seed)
        return 0
    queries = load_queries()
    modes = [m for m in args.modes.split(",") if m]
    world = None
    vendor = "-"
    if any(m != "baseline" for m in modes):
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        t = time.perf_counter()
        world = ensure_index(args.incidents, args.seed, nicknames=not args.no_nicknames)
        world["setup_seconds"] = round(time.perf_counter() - t, 1)
        vendor = connection.vendor
    report: dict = {"vendor": vendor, "queries": len(queries), "modes": {}}
    if world:
        report.update({k: world[k] for k in ("incidents", "articles", "rebuilt", "setup_seconds")})
    for mode in modes:
        report["modes"][mode] = evaluate(mode, queries, world, args.rounds)
    if args.json:
        print(json.dumps({**report, "modes": {m: {k: v for k, v in r.items() if k != "failures"}
                                              for m, r in report["modes"].items()}}, ensure_ascii=False))
        return 0
    print(f"{vendor}: {report.get('articles', '-')} articles, {report.get('incidents', '-')} incidents, "
          f"{len(queries)} queries; set-up {report.get('setup_seconds', '-')} s {report.get('rebuilt', '')}")
    for mode, r in report["modes"].items():
        print(f"\n{mode}:")
        for kind, s in [*r["kinds"].items(), ("ALL", r["all"])]:
            print(f"  {kind:12} n={s['n']:3}  recall@3={s['recall_at_3']:.3f}  MRR={s['mrr']:.3f}  "
                  f"p50={s['p50_ms']:6.1f} ms  p95={s['p95_ms']:6.1f} ms")
        if args.failures:
            for f in r["failures"]:
                print(f"    ✗ [{f['kind']}] {f['q']!r} rank={f['rank']} want={f['relevant']} got={f['got']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
