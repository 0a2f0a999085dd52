"""Clustering for the report's heatmaps: the leaf order of average-linkage
(UPGMA) clustering, written out so that it is small and deterministic."""

from __future__ import annotations

import numpy as np


def cluster_order(m: np.ndarray) -> list[int]:
    """Leaf order of average-linkage (UPGMA) clustering of the rows of ``m``
    (Euclidean distance; empty cells count as 0). Deterministic: ties go to
    the lowest indexes. Meant for the few dozen rows of a heatmap."""
    n = m.shape[0]
    if n <= 2:
        return list(range(n))
    x = np.nan_to_num(m, nan=0.0)
    d = np.sqrt(np.maximum(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2), 0.0))
    leaves = {i: [i] for i in range(n)}
    active = list(range(n))
    dist = {(i, j): float(d[i, j]) for i in range(n) for j in range(i + 1, n)}
    next_id = n
    while len(active) > 1:
        a, b = min(((i, j) for k, i in enumerate(active) for j in active[k + 1 :]), key=lambda p: (dist[p], p))
        na, nb = len(leaves[a]), len(leaves[b])
        leaves[next_id] = leaves.pop(a) + leaves.pop(b)
        active = [c for c in active if c not in (a, b)]
        for c in active:
            da = dist[(min(a, c), max(a, c))]
            db = dist[(min(b, c), max(b, c))]
            dist[(c, next_id)] = (na * da + nb * db) / (na + nb)
        active.append(next_id)
        next_id += 1
    return leaves[active[0]]
