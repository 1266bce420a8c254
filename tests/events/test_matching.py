"""The ring solver alone: rings are valid, exact on small share days, and never move fewer books than pairs."""
import functools
import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from events.matching import arcs_from, enumerate_cycles, is_valid, solve


def brute_force_best(arcs, max_size):
    """The most students coverable by disjoint cycles of at most max_size, by exhaustive search:
    the lowest uncovered student is either left out or in one of the cycles through them."""
    successors = {}
    for giver, receiver in arcs:
        successors.setdefault(giver, []).append(receiver)
    cycles = enumerate_cycles(successors, max_size)

    @functools.cache
    def best(remaining: frozenset) -> int:
        if not remaining:
            return 0
        lowest = min(remaining)
        result = best(remaining - {lowest})
        for cycle in cycles:
            if lowest in cycle and remaining.issuperset(cycle):
                result = max(result, len(cycle) + best(remaining - set(cycle)))
        return result

    return best(frozenset(vertex for cycle in cycles for vertex in cycle))


def share_day(rng, students, titles, offers_each, wants_each):
    offers, wants, next_id = [], [], itertools.count(1)
    for student in range(students):
        for title in rng.sample(range(titles), offers_each):
            offers.append((next(next_id), student, f"isbn{title}"))
        for title in rng.sample(range(titles), wants_each):
            wants.append((next(next_id), student, f"isbn{title}"))
    return offers, wants


def test_a_three_ring_moves_three_books_where_no_pair_exists():
    offers = [(1, 10, "A"), (2, 20, "B"), (3, 30, "C")]
    wants = [(4, 20, "A"), (5, 30, "B"), (6, 10, "C")]
    arcs = arcs_from(offers, wants)
    assert solve(arcs, max_size=2).books_moved == 0
    found = solve(arcs, max_size=3)
    assert found.books_moved == 3 and found.status == "optimal"
    assert is_valid(found.rings, offers, wants, 3)
    assert {(arc.giver, arc.receiver) for arc in found.rings[0]} == {(10, 20), (20, 30), (30, 10)}


def test_a_four_ring_is_not_found_when_rings_are_limited_to_three():
    offers = [(1, 1, "A"), (2, 2, "B"), (3, 3, "C"), (4, 4, "D")]
    wants = [(5, 2, "A"), (6, 3, "B"), (7, 4, "C"), (8, 1, "D")]
    arcs = arcs_from(offers, wants)
    assert solve(arcs, max_size=3).books_moved == 0
    assert solve(arcs, max_size=4).books_moved == 4


def test_more_books_move_beats_fewer_rings_and_ties_prefer_fewer_rings():
    # 1<->2 is a pair, 1->2->3->1 a triangle: the triangle moves 3 books, the pair 2.
    offers = [(1, 1, "A"), (2, 2, "B"), (3, 2, "C"), (4, 3, "D")]
    wants = [(5, 2, "A"), (6, 1, "B"), (7, 3, "C"), (8, 1, "D")]
    found = solve(arcs_from(offers, wants), max_size=4)
    assert found.books_moved == 3 and len(found.rings) == 1


def test_nobody_swaps_with_themselves():
    offers, wants = [(1, 1, "A")], [(2, 1, "A")]
    assert arcs_from(offers, wants) == {}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), students=st.integers(2, 8), titles=st.integers(2, 6),
       max_size=st.integers(2, 4))
def test_rings_are_valid_optimal_on_small_days_and_never_fewer_books_than_pairs(seed, students, titles, max_size):
    rng = random.Random(seed)
    offers, wants = share_day(rng, students, titles, offers_each=1, wants_each=min(2, titles))
    arcs = arcs_from(offers, wants)
    rings = solve(arcs, max_size=max_size, time_limit=5)
    pairs = solve(arcs, max_size=2, time_limit=5)
    assert is_valid(rings.rings, offers, wants, max_size)
    assert is_valid(pairs.rings, offers, wants, 2)
    assert rings.books_moved >= pairs.books_moved
    assert rings.status == "optimal"
    assert rings.books_moved == brute_force_best(arcs, max_size)


def test_is_valid_catches_broken_rings():
    offers = [(1, 1, "A"), (2, 2, "B")]
    wants = [(3, 2, "A"), (4, 1, "B")]
    ring = solve(arcs_from(offers, wants), max_size=2).rings[0]
    assert is_valid([ring], offers, wants, 2)
    assert not is_valid([ring[:1]], offers, wants, 2)  # not a cycle
    assert not is_valid([ring, ring], offers, wants, 2)  # a student in two rings
    wrong_book = [ring[0].__class__(ring[0].giver, ring[0].receiver, 2, ring[0].want), ring[1]]
    assert not is_valid([wrong_book], offers, wants, 2)  # gives someone else's book


def test_cycles_are_enumerated_once_each():
    successors = {1: [2, 3], 2: [1, 3], 3: [1, 2]}
    cycles = enumerate_cycles(successors, 3)
    assert sorted(cycles) == [(1, 2), (1, 2, 3), (1, 3), (1, 3, 2), (2, 3)]
