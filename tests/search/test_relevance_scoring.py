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


def test_the_report_is_given_per_class_of_query():
    judgments = [
        Judgment(id="a", q="x", relevant=("1",), kind_of_query="negation"),
        Judgment(id="b", q="y", relevant=("2",), mistakes=("3",), kind_of_query="negation"),
        Judgment(id="c", q="z", relevant=("4",), kind_of_query="typo"),
    ]
    ranked = {"a": ["1"], "b": ["3", "2"], "c": []}
    report = evaluate(judgments, lambda j: ranked[j.id])
    kinds = report.by_kind()
    assert list(kinds) == ["negation", "typo"]
    assert kinds["negation"].recall == 1.0 and kinds["negation"].no_mistake_count == 1
    assert kinds["typo"].recall == 0.0 and len(kinds["typo"].scores) == 1
    assert "(2 of 3)" in report.summary()


def test_the_per_class_table_has_a_column_per_backend():
    from bench.relevance.harness import kind_table

    results = [
        {"label": "database-sqlite", "by_kind": {"typo": {"scored": 2, "skipped": 0, "recall": 1.0, "ndcg": 0.9,
                                                          "no_mistake": 2}}},
        {"label": "elasticsearch", "by_kind": {"typo": {"scored": 2, "skipped": 0, "recall": 0.5, "ndcg": 0.5,
                                                        "no_mistake": 1}}},
    ]
    table = kind_table(results).splitlines()
    assert table[0] == "| class | queries | database-sqlite | elasticsearch |"
    assert table[2] == "| typo | 2 | 1.00 / 0.90 / 2 of 2 | 0.50 / 0.50 / 1 of 2 |"


def test_a_judgment_may_filter_on_a_condition_level(tmp_path):
    path = tmp_path / "judged.json"
    path.write_text(json.dumps([{"id": "f", "q": "", "kind": "filter", "relevant": ["k"],
                                 "filters": {"condition": "like_new", "max_price": "100"}}]))
    [judgment] = load_judgments(path)
    query = judgment.to_query()
    assert query.condition == "like_new" and str(query.max_price) == "100"
