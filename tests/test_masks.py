"""The masks of tests/masks.py are narrow (they change their examples, and nothing else) and still needed."""

from __future__ import annotations

import pytest

import course
import masks
from cours_ray.outputs import page_outputs


@pytest.mark.parametrize("mask", masks.MASKS, ids=lambda m: m.name)
def test_mask_changes_its_examples(mask):
    assert mask.changes, f"le masque « {mask.name} » n'a aucun exemple"
    for before, after in mask.changes:
        assert mask.pattern.sub(mask.replacement, before) == after


@pytest.mark.parametrize("mask", masks.MASKS, ids=lambda m: m.name)
def test_mask_leaves_near_misses_alone(mask):
    for text in mask.keeps:
        assert mask.pattern.sub(mask.replacement, text) == text, f"« {mask.name} » masque à tort : {text!r}"


def test_every_mask_is_still_needed(site_build):
    """A mask that no output of the build needs any more is removed, so masks never hide more than necessary."""
    stdouts = [
        text.text
        for page in course.pages()
        for block in course.page_model(page).blocks
        for text in page_outputs(site_build.results(page).outputs(block.id) or [])[0]
    ]
    assert stdouts, site_build.why_not_executed("le site")
    unused = [m.name for m in masks.MASKS if not any(m.pattern.search(text) for text in stdouts)]
    assert not unused, f"masques qu'aucune sortie n'utilise plus : {unused}"
