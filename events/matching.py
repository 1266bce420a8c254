"""Swap rings: the exchange cycles of a share day that move the most books, found exactly.

Students are vertices; there is an arc A -> B when A offers a book (by ISBN) that B wants. A
ring is a directed cycle of 2 to `max_size` students in which each gives one book to the next;
a pair is a ring of 2. Every student is in at most one ring, and each student in a ring gives
one book and receives one, so the books that change hands are the number of students in rings.

The cycle formulation of kidney exchange (Abraham, Blum and Sandholm 2007; Roth, Sönmez and
Ünver 2007): every cycle of length <= max_size is enumerated once (from its smallest vertex),
one boolean per cycle, each student covered at most once, and OR-Tools CP-SAT maximizes

    sum over chosen cycles of (len(cycle) * W - 1),  W = number of students + 1

that is, the most books first and, among equally many, the fewest rings (smaller rings are
easier to bring together). Within the time bound CP-SAT proves the optimum ("optimal") or
returns the best rings found so far ("feasible"). The same solver limited to pairs gives the
baseline that rings are compared with; rings can never move fewer books (pairs are rings).
"""
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class Arc:
    giver: int
    receiver: int
    offer: int  # the offer the giver hands over
    want: int   # the receiver's want it fulfils


@dataclass
class Matching:
    rings: list[list[Arc]] = field(default_factory=list)
    # optimal: proven best; feasible: the best found when time ran out (`bound` caps what more time
    # could find); greedy: the solver found nothing in time and the starting packing is returned.
    status: str = "optimal"
    bound: int | None = None
    wall_ms: int = 0
    cycles_considered: int = 0
    max_size_used: int = 0

    @property
    def books_moved(self) -> int:
        return sum(len(ring) for ring in self.rings)


def arcs_from(offers, wants) -> dict[tuple[int, int], Arc]:
    """One arc per (giver, receiver): offers and wants as (id, member, isbn) triples; among
    several books that would do, the lowest offer and want ids (a stable choice)."""
    wanted_by = defaultdict(list)
    for want_id, member, isbn in sorted(wants):
        wanted_by[isbn].append((want_id, member))
    arcs: dict[tuple[int, int], Arc] = {}
    for offer_id, giver, isbn in sorted(offers):
        for want_id, receiver in wanted_by.get(isbn, ()):
            if receiver != giver and (giver, receiver) not in arcs:
                arcs[(giver, receiver)] = Arc(giver, receiver, offer_id, want_id)
    return arcs


def enumerate_cycles(successors: dict[int, list[int]], max_size: int, limit: int | None = None) -> list[tuple[int, ...]] | None:
    """Every directed cycle of 2..max_size vertices, once each, starting at its smallest vertex;
    None as soon as there are more than `limit`.

    Paths are grown from the start over larger vertices only; the last vertex of a cycle is found
    by intersecting the tail's successors with the start's predecessors, not by one more level of
    search."""
    successor_sets = {vertex: set(nexts) for vertex, nexts in successors.items()}
    predecessors: dict[int, set[int]] = defaultdict(set)
    for vertex, nexts in successors.items():
        for nxt in nexts:
            predecessors[nxt].add(vertex)
    cycles: list[tuple[int, ...]] = []
    for start in sorted(successors):
        closing = {vertex for vertex in predecessors.get(start, ()) if vertex > start}
        if not closing:
            continue
        frontier = [(start,)]
        for _length in range(2, max_size + 1):
            grown = []
            for path in frontier:
                for last in successor_sets.get(path[-1], set()) & closing:
                    if last not in path:
                        cycles.append((*path, last))
            if limit is not None and len(cycles) > limit:
                return None
            if _length == max_size:
                break
            for path in frontier:
                for nxt in successors.get(path[-1], ()):
                    if nxt > start and nxt not in path:
                        grown.append((*path, nxt))
            frontier = grown
    return cycles


# Above this many candidate cycles the model would not be built, let alone solved, in the time
# bound (a dense share day: a few very popular titles that many offer and many want); rings are
# then looked for among cycles of at most 3 students, and failing that among pairs.
MAX_CYCLES = 400_000
# Above this many cycles CP-SAT's presolve alone can take the whole time bound (measured: 54,000
# cycles, 8 s; 17,000, 6 s) and leave nothing to search with: the model goes to the search as it is.
PRESOLVE_UP_TO = 5_000


def _canonical(cycle) -> tuple[int, ...]:
    """A cycle written from its smallest student, as enumerate_cycles writes it."""
    first = cycle.index(min(cycle))
    return tuple(cycle[first:]) + tuple(cycle[:first])


def _greedy(cycles) -> list[int]:
    """A quick packing to start the solver from: cycles through the least contested students
    first (fewest other cycles per member), each taken if still disjoint from those taken."""
    contested = Counter(vertex for cycle in cycles for vertex in cycle)
    used, chosen = set(), []
    order = sorted(range(len(cycles)), key=lambda i: (sum(contested[v] for v in cycles[i]) / len(cycles[i]), i))
    for index in order:
        if used.isdisjoint(cycles[index]):
            used.update(cycles[index])
            chosen.append(index)
    return chosen


def solve(arcs: dict[tuple[int, int], Arc], *, max_size: int = 4, time_limit: float = 10.0, workers: int = 2,
          start: "Matching | None" = None) -> Matching:
    """The rings of at most `max_size` students that move the most books (see the module doc).
    `start`, a matching already found (e.g. the pairs), is where the search starts when it beats
    the greedy packing, and the answer never moves fewer books than it."""
    started = time.perf_counter()
    successors = defaultdict(list)
    for giver, receiver in sorted(arcs):
        successors[giver].append(receiver)
    size = max_size
    cycles = enumerate_cycles(successors, size, limit=MAX_CYCLES)
    while cycles is None:
        size -= 1
        cycles = enumerate_cycles(successors, size, limit=MAX_CYCLES if size > 2 else None)
    matching = Matching(status="optimal", cycles_considered=len(cycles), max_size_used=size)
    if cycles:
        coverable = len({vertex for cycle in cycles for vertex in cycle})
        weight = coverable + 1
        model = cp_model.CpModel()
        chosen = [model.NewBoolVar("") for _cycle in cycles]
        covering = defaultdict(list)
        for variable, cycle in zip(chosen, cycles, strict=True):
            for vertex in cycle:
                covering[vertex].append(variable)
        for variables in covering.values():
            if len(variables) > 1:
                model.AddAtMostOne(variables)
        model.Maximize(cp_model.LinearExpr.WeightedSum(chosen, [len(cycle) * weight - 1 for cycle in cycles]))
        start_cycles = set(_greedy(cycles))
        if start is not None and start.books_moved > sum(len(cycles[index]) for index in start_cycles):
            given = {_canonical([arc.giver for arc in ring]) for ring in start.rings}
            start_cycles = {index for index, cycle in enumerate(cycles) if cycle in given}
        for index, variable in enumerate(chosen):
            model.AddHint(variable, index in start_cycles)
        solver = cp_model.CpSolver()
        # Keep a tenth of the bound (at most a second) for reading the answer back.
        reserve = min(1.0, time_limit / 10)
        solver.parameters.max_time_in_seconds = max(0.1, time_limit - reserve - (time.perf_counter() - started))
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = 7
        solver.parameters.cp_model_presolve = len(cycles) <= PRESOLVE_UP_TO
        result = solver.Solve(model)
        if result in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            picked = [index for index, variable in enumerate(chosen) if solver.Value(variable)]
            matching.status = "optimal" if result == cp_model.OPTIMAL else "feasible"
            # No more books can move than the solver's bound, nor than students in some cycle.
            matching.bound = min(int(solver.BestObjectiveBound() // weight), coverable)
        else:
            picked, matching.status = sorted(start_cycles), "greedy"  # starved of time: the starting packing
            matching.bound = coverable
        if sum(len(cycles[index]) for index in picked) < sum(len(cycles[index]) for index in start_cycles):
            picked = sorted(start_cycles)
        matching.rings = [[arcs[(cycle[i], cycle[(i + 1) % len(cycle)])] for i in range(len(cycle))]
                          for cycle in (cycles[index] for index in picked)]
    if size < max_size and matching.status == "optimal":
        matching.status = "feasible"  # optimal among smaller rings only
    matching.wall_ms = int((time.perf_counter() - started) * 1000)
    return matching


def is_valid(rings: list[list[Arc]], offers, wants, max_size: int) -> bool:
    """Each ring a cycle of 2..max_size distinct students; each gives one of their own offered
    books that the next one wants; nobody in two rings; no offer or want used twice."""
    offer_of = {offer_id: (member, isbn) for offer_id, member, isbn in offers}
    want_of = {want_id: (member, isbn) for want_id, member, isbn in wants}
    seen_students, seen_offers, seen_wants = set(), set(), set()
    for ring in rings:
        if not 2 <= len(ring) <= max_size:
            return False
        for index, arc in enumerate(ring):
            following = ring[(index + 1) % len(ring)]
            if arc.receiver != following.giver or arc.giver == arc.receiver:
                return False
            giver, offered_isbn = offer_of.get(arc.offer, (None, None))
            receiver, wanted_isbn = want_of.get(arc.want, (None, None))
            if giver != arc.giver or receiver != arc.receiver or offered_isbn != wanted_isbn:
                return False
            if arc.giver in seen_students or arc.offer in seen_offers or arc.want in seen_wants:
                return False
            seen_students.add(arc.giver)
            seen_offers.add(arc.offer)
            seen_wants.add(arc.want)
    return True
