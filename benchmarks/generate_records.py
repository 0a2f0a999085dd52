"""Generate N realistic records by templating the real bundled records with fresh identifiers.

    python benchmarks/generate_records.py OUT_DIR N [--seed 1]

The mix follows the bundled sample per format (Genular, TFLink, GEISHA in equal
thirds by default); every record keeps its template's size and structure but
gets a new, unique id (NCBI gene ids, UniProt accessions, symbols), so the
workflow sees N distinct records. Deterministic for a given N and seed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import string
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO / "resources" / "records"


def templates() -> dict[str, list[bytes]]:
    out = {"genular": [], "tflink": [], "geisha": []}
    for p in sorted(RECORDS.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        text = data.lstrip(b"\xef\xbb\xbf").lstrip()
        if text.startswith(b"Details for:"):
            out["genular"].append(data)
        elif b"uniprot_accession:" in data[:2000]:
            out["tflink"].append(data)
        else:
            out["geisha"].append(data)
    return out


def accession(i: int) -> str:
    """A valid 10-character UniProt accession, unique per i (A0A...-like)."""
    letters = string.ascii_uppercase
    a = letters[i % 26]
    b = letters[(i // 26) % 26]
    c = letters[(i // 676) % 26]
    return f"X{i % 10}{a}{b}{c}{(i // 17576) % 10}{letters[(i // 175760) % 26]}00{(i // 4569760) % 10}"


def genular(tpl: bytes, i: int) -> bytes:
    gene_id = str(900_000_000 + i).encode()
    t = re.sub(rb"Gene ID: \d+", b"Gene ID: " + gene_id, tpl, count=1)
    return re.sub(rb"\nSymbol: (\S+)\n", b"\nSymbol: GEN" + str(i).encode() + b"\n", t, count=1)


def tflink(tpl: bytes, i: int) -> bytes:
    old = re.search(rb"uniprot_accession: (\S+)", tpl).group(1)
    new = accession(i).encode()
    t = tpl.replace(old, new).replace(old.lower(), new.lower())
    return re.sub(rb"\nncbi_gene_id:[^\r\n]*", b"\nncbi_gene_id: '" + str(800_000_000 + i).encode() + b"'", t, count=1)


def geisha(tpl: bytes, i: int) -> bytes:
    gid = str(700_000_000 + i).encode()
    t = re.sub(rb"\ngene_id:[^\r\n]*", b"\ngene_id: '" + gid + b"'", tpl, count=1)
    t = re.sub(rb"\nncbi_id:[^\r\n]*", b"\nncbi_id: '" + gid + b"'", t, count=1)
    if b"\ngene_id:" not in t:
        t = t.replace(b"---\n", b"---\ngene_id: '" + gid + b"'\n", 1)
    return re.sub(rb"\nsymbol: (\S+)", b"\nsymbol: GEI" + str(i).encode(), t, count=1)


MAKERS = {"genular": genular, "tflink": tflink, "geisha": geisha}


def generate(out: Path, n: int, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    tpls = templates()
    kinds = sorted(MAKERS)
    paths = []
    for i in range(n):
        kind = kinds[i % 3]
        data = MAKERS[kind](rng.choice(tpls[kind]), i)
        sub = out / kind / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"{kind}_{i:06d}.{'txt' if kind == 'genular' else 'md'}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    paths = generate(args.out, args.n, args.seed)
    size = sum(os.path.getsize(p) for p in paths)
    print(f"wrote {len(paths)} records ({size / 1e6:.1f} MB) under {args.out}")


if __name__ == "__main__":
    main()
