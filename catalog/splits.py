"""Train / validation / test splits by subject: pure functions over a version's items.

A person must never appear in two splits (a face in train and in test inflates every
benchmark), so photos are grouped: two photos share a group when they share a subject
(pseudonymous ``subject_id``), transitively; a photo without people is a group of its own.
Groups are put in an order fixed by the version's content hash (SHA-256 of the hash and the
group's smallest member), then cut into consecutive runs of about 80 / 10 / 10 % of the
photos. The same version therefore always splits the same way, and a bundle built after a
withdrawal only loses photos: nobody moves from one split to another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

TRAIN, VALIDATION, TEST = "train", "validation", "test"
SPLITS = (TRAIN, VALIDATION, TEST)
DEFAULT_RATIOS = (0.8, 0.1, 0.1)


def _groups(items: Sequence[Mapping]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for item in items:
        name = "photo:" + str(item["file_name"])
        parent.setdefault(name, name)
        for subject in item.get("subjects") or ():
            sid = subject.get("subject_id")
            if sid:
                key = "subject:" + str(sid)
                parent.setdefault(key, key)
                union(name, key)
    groups: dict[str, list[str]] = {}
    for item in items:
        groups.setdefault(find("photo:" + str(item["file_name"])), []).append(str(item["file_name"]))
    return list(groups.values())


def split_by_subject(
    items: Sequence[Mapping], *, content_hash: str, ratios: tuple[float, float, float] = DEFAULT_RATIOS
) -> dict[str, str]:
    """``{file_name: "train" | "validation" | "test"}`` for every item (see the module's docstring).

    A group goes to the split in which the middle of its run of photos falls, so a split's share
    is its ratio to within half of the largest group.
    """
    if len(ratios) != 3 or any(r < 0 for r in ratios) or not sum(ratios):
        raise ValueError(f"bad split ratios {ratios!r}")
    total = len(items)
    cut_train = ratios[0] / sum(ratios)
    cut_validation = (ratios[0] + ratios[1]) / sum(ratios)
    groups = sorted(
        _groups(items),
        key=lambda names: hashlib.sha256(f"{content_hash}\n{min(names)}".encode()).hexdigest(),
    )
    out: dict[str, str] = {}
    done = 0
    for names in groups:
        middle = (done + len(names) / 2) / total
        split = TRAIN if middle < cut_train else VALIDATION if middle < cut_validation else TEST
        for name in names:
            out[name] = split
        done += len(names)
    return out


def split_counts(splits: Mapping[str, str]) -> dict[str, int]:
    """Photos per split, every split named (zeros included)."""
    counts = dict.fromkeys(SPLITS, 0)
    for split in splits.values():
        counts[split] += 1
    return counts
