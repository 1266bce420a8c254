"""The relevance metrics of bench.relevance.harness, on hand-computed examples."""
import json
import math

import pytest

from bench.relevance.harness import Judgment, evaluate, load_judgments, ndcg_at_k, recall_at_k, score


def test_recall_counts_relevant_in_the_top_k_out_of_at_most_k():
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}) == 0.5
    assert recall_at_k(list("abcdefghijkl"), set("abcdefghijkl")) == 1.0  # 10 of 12 is all one can show
    assert recall_at_k(["x"], set()) == 1.0


def test_ndcg_rewards_relevant_listings_higher_up():
    assert ndcg_at_k(["a", "b"], {"a", "b"}) == 1.0
    assert ndcg_at_k(["x", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["x", "y"], {"a"}) == 0.0


def test_mistakes_count_only_in_the_top_k():
    judgment = Judgment(id="q", q="电视", relevant=("tv",), mistakes=("stand",))
    assert score(judgment, ["tv", "stand"]).mistakes_found == ["stand"]
    assert score(judgment, ["tv"] + [f"o{i}" for i in range(9)] + ["stand"]).clean


def test_evaluate_skips_judgments_that_need_a_capability_the_backend_lacks():
    judgments = [Judgment(id="a", q="x", relevant=("1",)), Judgment(id="b", q="y", relevant=("2",), needs="typos")]
    report = evaluate(judgments, lambda j: ["1"] if j.id == "a" else [])
    assert [s.judgment.id for s in report.scores] == ["a"] and [j.id for j in report.skipped] == ["b"]
    assert report.recall == report.ndcg == report.no_mistake_share == 1.0
    assert "1 queries (1 skipped)" in report.summary()


def test_load_judgments_refuses_unknown_filters_and_duplicate_ids(tmp_path):
    path = tmp_path / "j.json"
    path.write_text(json.dumps([{"id": "a", "q": "x", "relevant": [], "filters": {"colour": "red"}}]))
    with pytest.raises(ValueError, match="colour"):
        load_judgments(path)
    path.write_text(json.dumps([{"id": "a", "relevant": []}, {"id": "a", "relevant": []}]))
    with pytest.raises(ValueError, match="unique"):
        load_judgments(path)
