"""Realistic synthetic whole-organism TFLink interaction tables (tests and benchmarks).

No whole-organism table ships with the project (the human one is ~1 GB), so
tests and ``benchmarks/split_interactions.py`` generate tables shaped like
``TFLink_<Organism>_interactions_All_simpleFormat_v1.0.tsv``: the 15 columns
in TFLink's order, UniProt-shaped accessions (6- and 10-character forms),
gene-symbol-like names with the quirks of the real files (missing names ``-``,
a gene literally named ``Na``, several ``; ``-joined names, names with spaces),
NCBI ids that are ``NA`` or comma-joined, ``;``-joined methods, PubMed ids
(unsorted) and source databases, ortholog columns, and skewed sizes: a few
TFs with thousands of targets, most with a few hundred or fewer; popular
targets regulated by many TFs. Rows come in random order. The output depends
only on the arguments (seeded).

Two settings of the multi-valued cells (``cells``):

* ``realistic`` (default): the ten evidence combinations of a human table
  (:data:`_EVIDENCE`), every (TF, target) pair once;
* ``diverse``: every row draws its own source databases (1-4 of
  :data:`DIVERSE_SOURCES`) and detection methods (1-3 of
  :data:`DIVERSE_METHODS`) in random order, and 1-6 PubMed ids from a pool of
  100,000 in random order (now and then one twice), so nearly every PubMed
  cell and thousands of source and method cells are distinct; and a share
  ``repeats`` of the rows (default 0.2) state a pair that another row states
  too, with its own evidence (the merge then merges them). What a normaliser
  that only works well on a few distinct values cannot hide.
"""

from __future__ import annotations

import gzip
import random
import string
from array import array

from .sources import TABLE_COLUMNS

_UPPER = string.ascii_uppercase
_ALNUM = string.ascii_uppercase + string.digits
_FAMILIES = "ZNF SLC KLHL TMEM FAM CCDC ANKRD RBM DNAJC SOX FOX KLF HOX NKX LRRC WDR PPP1R ARHGAP TRIM USP MRPL RPL RPS OR".split()
CHIP = "chromatin immunoprecipitation assay"
CURATOR = "inferred by curator"
# (sources, methods, pubmed ids, small-scale evidence, weight): the mix of a human table.
_EVIDENCE = (
    ("GTRD", CHIP, ("27924024",), "No", 640),
    ("ReMap", CHIP, ("29126285",), "No", 110),
    ("GTRD;ReMap", CHIP, ("29126285", "27924024"), "No", 200),
    ("ReMap;GTRD", CHIP, ("27924024", "29126285"), "No", 10),
    ("TRRUST", CURATOR, ("29087512",), "Yes", 8),
    ("GTRD;TRRUST", f"{CHIP};{CURATOR}", ("29087512", "27924024"), "Yes", 6),
    ("HTRI", "chromatin immunoprecipitation array", ("22900683",), "Yes", 4),
    ("ORegAnno;PAZAR", CURATOR, ("18971253", "26578589"), "No", 10),
    ("GTRD;ORegAnno;PAZAR;ReMap", f"{CHIP};{CURATOR}", ("26578589", "18971253", "29126285", "27924024"), "No", 8),
    ("IntAct_via_DoRothEA;TRRUST", CURATOR, ("23482931", "24234451", "29087512"), "Yes", 4),
)
_ORTHO_SPECIES = ("Mm", "Rn", "Dr", "Dm", "Ce", "Sc")
# The ``diverse`` setting's vocabularies.
DIVERSE_SOURCES = (
    "GTRD",
    "ReMap",
    "TRRUST",
    "HTRI",
    "ORegAnno",
    "PAZAR",
    "IntAct_via_DoRothEA",
    "ChIP-Atlas",
    "JASPAR",
    "CistromeDB",
    "TFe",
    "SIGNOR",
)
DIVERSE_METHODS = (
    CHIP,
    CURATOR,
    "chromatin immunoprecipitation array",
    "electrophoretic mobility shift assay",
    "luciferase reporter assay",
    "DNase I footprinting",
    "surface plasmon resonance",
    "ChIP-seq",
)
_DIVERSE_PUBMED_POOL = 100_000


def accession(rng: random.Random) -> str:
    """A UniProt-shaped accession (both 6-character forms and the 10-character form)."""
    r = rng.random()
    c = rng.choice
    if r < 0.55:
        return c("OPQ") + c(string.digits) + "".join(c(_ALNUM) for _ in range(3)) + c(string.digits)
    if r < 0.85:
        return (
            c("ABCDEFGHIJKLMNRSTUVWXYZ")
            + c(string.digits)
            + c(_UPPER)
            + "".join(c(_ALNUM) for _ in range(2))
            + c(string.digits)
        )
    return (
        "A0A"
        + c(string.digits)
        + "".join(c(_ALNUM) for _ in range(2))
        + c(string.digits)
        + c(_UPPER)
        + "".join(c(_ALNUM) for _ in range(2))
        + c(string.digits)
    )


def _symbol(rng: random.Random, i: int) -> str:
    r = rng.random()
    if r < 0.03:
        return "-"  # name missing while the id is present
    if r < 0.035:
        return "Na"  # a real gene name, not a missing value
    if r < 0.045:
        base = rng.choice(("H4C", "H3-3", "RPL9P", "H2BC"))
        return "; ".join(f"{base}{k}" for k in sorted(rng.sample(range(1, 17), rng.randint(2, 5))))
    if r < 0.05:
        return f"OR{rng.randint(1, 14)}{rng.choice(_UPPER)}{rng.randint(1, 9)} {rng.choice('DP')}"
    fam = rng.choice(_FAMILIES)
    suffix = str(rng.randint(1, 900))
    if rng.random() < 0.1:
        suffix += "-" + str(rng.randint(1, 3))
    if rng.random() < 0.05:
        suffix += "-AS1"
    return fam + suffix + ("" if i % 7 else rng.choice(("", "A", "B", "L")))


def _ncbi(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.04:
        return "NA"
    if r < 0.06:
        return f"{rng.randint(100000000, 100600000)},{rng.randint(1, 90000)}"
    return str(rng.randint(1, 130000) if rng.random() < 0.8 else rng.randint(130000, 800000))


def _ortho(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "-"
    return ";".join(f"{sp}:{accession(rng)}" for sp in rng.sample(_ORTHO_SPECIES, rng.randint(1, 4)))


def _tf_sizes(rng: random.Random, n_rows: int, n_tfs: int, cap: int) -> list[int]:
    """Skewed (log-normal) numbers of targets per TF summing to ``n_rows``, each <= ``cap``."""
    if n_rows > n_tfs * cap:
        raise ValueError(f"{n_rows} rows do not fit {n_tfs} TFs x {cap} targets")
    weights = [rng.lognormvariate(0.0, 1.3) for _ in range(n_tfs)]
    total = sum(weights)
    sizes = [max(1, min(cap, int(w / total * n_rows))) for w in weights]
    # Hand out what rounding and the cap left over (or take back the excess).
    diff = n_rows - sum(sizes)
    order = sorted(range(n_tfs), key=lambda i: -weights[i])
    while diff:
        moved = False
        for i in order:
            if diff > 0 and sizes[i] < cap:
                step = min(diff, cap - sizes[i], max(1, diff // n_tfs + 1))
                sizes[i] += step
                diff -= step
                moved = True
            elif diff < 0 and sizes[i] > 1:
                step = min(-diff, sizes[i] - 1, max(1, -diff // n_tfs + 1))
                sizes[i] -= step
                diff += step
                moved = True
            if not diff:
                break
        if not moved:
            break
    return sizes


def generate_table(
    path: str,
    n_rows: int,
    n_tfs: int = 1500,
    n_proteins: int = 20000,
    seed: int = 1,
    organism: str = "Homo sapiens",
    compress: bool | None = None,
    cells: str = "realistic",
    repeats: float | None = None,
) -> dict:
    """Write a whole-organism table of ``n_rows`` rows to ``path``.

    ``n_tfs`` TFs are drawn from ``n_proteins`` proteins (so TFs are also
    targets, and some regulate themselves). Gzipped when ``compress`` is true
    (default: when ``path`` ends in ``.gz``). ``cells`` is ``realistic`` or
    ``diverse`` (see the module); ``repeats`` the share of rows that repeat a
    pair of another row (default 0 for ``realistic``, 0.2 for ``diverse``).
    Returns a summary: ``rows``, ``pairs`` (distinct pairs), ``tfs``,
    ``targets`` (distinct accessions seen in each role), ``bytes``
    (uncompressed size).
    """
    if cells not in ("realistic", "diverse"):
        raise ValueError(f"cells must be 'realistic' or 'diverse', not {cells!r}")
    diverse = cells == "diverse"
    if repeats is None:
        repeats = 0.2 if diverse else 0.0
    if not 0 <= repeats < 1:
        raise ValueError(f"repeats must be in [0, 1), not {repeats!r}")
    n_repeated = int(n_rows * repeats)
    n_pairs = n_rows - n_repeated
    rng = random.Random(seed)
    n_proteins = max(n_proteins, n_tfs)
    seen: set[str] = set()
    accs: list[str] = []
    while len(accs) < n_proteins:
        a = accession(rng)
        if a not in seen:
            seen.add(a)
            accs.append(a)
    names = [_symbol(rng, i) for i in range(n_proteins)]
    # One name can belong to two accessions in the real data.
    for i in range(0, n_proteins - 1, 997):
        names[i + 1] = names[i]
    ncbis = [_ncbi(rng) for _ in range(n_proteins)]
    tf_orthos = [(_ortho(rng), _ortho(rng)) for _ in range(n_proteins)]
    tf_ids = rng.sample(range(n_proteins), n_tfs)
    # Targets ordered by popularity: a TF with k targets picks them among the
    # most popular ~1.5k, so popular targets have many TFs, the tail few.
    popularity = list(range(n_proteins))
    rng.shuffle(popularity)
    sizes = _tf_sizes(rng, n_pairs, n_tfs, n_proteins)
    pairs = array("Q")
    for tf, k in zip(tf_ids, sizes):
        pool = min(n_proteins, int(k * 1.5) + 50)
        for t in rng.sample(range(pool), k):
            pairs.append(tf * n_proteins + popularity[t])
    # Rows that state a pair again (with their own evidence).
    for _ in range(n_repeated):
        pairs.append(pairs[int(rng.random() * n_pairs)])
    # Random row order (Fisher-Yates on the compact array).
    for i in range(len(pairs) - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        pairs[i], pairs[j] = pairs[j], pairs[i]
    weights = [e[4] for e in _EVIDENCE]
    cum = []
    acc_w = 0
    for w in weights:
        acc_w += w
        cum.append(acc_w)
    total_w = acc_w
    pubmed_pool = [str(rng.randint(8000000, 36000000)) for _ in range(_DIVERSE_PUBMED_POOL)] if diverse else []
    if compress is None:
        compress = str(path).endswith(".gz")
    opener = (
        (lambda p: gzip.open(p, "wt", encoding="utf-8", newline="\n", compresslevel=3))
        if compress
        else (lambda p: open(p, "w", encoding="utf-8", newline="\n"))
    )
    n_bytes = 0
    tfs_seen: set[int] = set()
    targets_seen: set[int] = set()
    with opener(path) as fh:
        header = "\t".join(TABLE_COLUMNS) + "\n"
        fh.write(header)
        n_bytes += len(header)
        buf = []
        for p in pairs:
            tf, tg = divmod(p, n_proteins)
            tfs_seen.add(tf)
            targets_seen.add(tg)
            if diverse:
                sources, methods, pmids, small = _diverse_cells(rng, pubmed_pool)
            else:
                x = rng.random() * total_w
                k = 0
                while cum[k] <= x:
                    k += 1
                sources, methods, pmids, small, _ = _EVIDENCE[k]
                if small == "Yes" and rng.random() < 0.7:
                    pmids = pmids + (str(rng.randint(8000000, 33000000)),)
            tfo = tf_orthos[tf]
            tgo = tf_orthos[tg]
            line = "\t".join(
                (
                    accs[tf],
                    accs[tg],
                    ncbis[tf],
                    ncbis[tg],
                    names[tf],
                    names[tg],
                    methods,
                    ";".join(pmids),
                    organism,
                    sources,
                    small,
                    tfo[0],
                    tfo[1],
                    tgo[0],
                    tgo[1],
                )
            )
            buf.append(line)
            if len(buf) >= 10000:
                text = "\n".join(buf) + "\n"
                fh.write(text)
                n_bytes += len(text.encode("utf-8"))
                buf.clear()
        if buf:
            text = "\n".join(buf) + "\n"
            fh.write(text)
            n_bytes += len(text.encode("utf-8"))
    return {
        "rows": len(pairs),
        "pairs": n_pairs,
        "tfs": len(tfs_seen),
        "targets": len(targets_seen),
        "bytes": n_bytes,
    }


def _diverse_cells(rng: random.Random, pubmed_pool: list[str]) -> tuple[str, str, tuple[str, ...], str]:
    """One row's (sources, methods, PubMed ids, evidence) in the ``diverse`` setting."""
    r = rng.random
    sources = ";".join(rng.sample(DIVERSE_SOURCES, 1 + int(r() * 4)))
    methods = ";".join(rng.sample(DIVERSE_METHODS, 1 + int(r() * 3)))
    n = len(pubmed_pool)
    pmids = tuple(pubmed_pool[int(r() * n)] for _ in range(1 + int(r() * 6)))
    if r() < 0.02:
        pmids += (pmids[0],)  # an id twice in one cell
    return sources, methods, pmids, "Yes" if r() < 0.25 else "No"


def _main() -> None:  # pragma: no cover - a convenience for benchmarks
    import sys

    path, n = sys.argv[1], int(sys.argv[2])
    cells = sys.argv[3] if len(sys.argv) > 3 else "realistic"
    print(generate_table(path, n, cells=cells))


if __name__ == "__main__":  # pragma: no cover
    _main()
