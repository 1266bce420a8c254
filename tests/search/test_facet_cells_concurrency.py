"""Facet cells under concurrent writes (PostgreSQL): sellers' edits moving listings between the
same cells in opposite directions, at the same moments, never deadlock (every writer changes
its cells in key order; without that order the threaded test below deadlocks) and leave every
count exact."""
import threading
from collections import Counter

import pytest
from django.db import connection

from search.backends.database import DatabaseBackend
from search.backends.database.backend import cell_key
from search.backends.database.schema import DOCUMENT_TABLE, facet_cell_key_sql, fill_facet_cells
from tests.contract.corpus import create_corpus
from tests.helpers import run_together
from tests.search.test_database_backend import _cells

# The document fields that decide its facet cell (search.backends.database.schema.FACET_CELL_KEY).
CELL_FIELDS = ("category_ids", "kind", "grade_code", "condition", "city", "price_fen", "certified", "inspected")
ROUNDS = 10
PAIRS = 10


def _cells_of_documents() -> dict[int, tuple]:
    """Each indexed document's facet cell, by the SQL the backend itself counts cells with."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT listing_id, {facet_cell_key_sql()} FROM {DOCUMENT_TABLE}")
        return {row[0]: cell_key(row[1:]) for row in cursor.fetchall()}


def test_cell_changes_are_written_in_key_order_whatever_order_they_come_in(db):
    """Every writer locks the cells it changes in the same (key) order, so two writers never
    wait on each other in a cycle."""
    backend, written = DatabaseBackend(), []
    low = (1, "1", "second_hand", "A", "excellent", "广州市", 0, False, False)
    high = (2, "2", "second_hand", "A", "excellent", "南宁市", 0, False, False)

    def capture(execute, sql, params, many, context):
        if many and "ON CONFLICT" in sql:
            written.extend(tuple(row[:-1]) for row in params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        backend._apply_cell_changes(Counter({high: 1, low: 1}))
        backend._apply_cell_changes(Counter({high: -1, low: -1}))
    assert written == [low, high, low, high]
    assert _cells() == {}  # emptied cells are removed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_between_the_same_cells_never_deadlock_and_keep_counts_exact():
    corpus = create_corpus()
    backend = DatabaseBackend()
    backend.rebuild(corpus.documents())
    # Pairs of listings in different cells; one seller moves the first of each pair into the
    # second's cell and back, the other the second into the first's, at the same moments: one
    # writer changes cells (A -1, B +1), the other (B -1, A +1), ten pairs a transaction.
    cell_of = _cells_of_documents()
    by_cell: dict[tuple, list[dict]] = {}
    for document in corpus.documents():
        by_cell.setdefault(cell_of[document["id"]], []).append(document)
    cells = sorted(by_cell)
    pairs = [(by_cell[a][0], by_cell[b][0]) for a, b in zip(cells[:PAIRS], cells[PAIRS:2 * PAIRS], strict=True)]

    def moved(document, into):
        return {**document, **{field: into[field] for field in CELL_FIELDS}}

    moves = {
        "first": [[moved(a, b) for a, b in pairs], [a for a, _ in pairs]],
        "second": [[moved(b, a) for a, b in pairs], [b for _, b in pairs]],
    }
    barrier = threading.Barrier(2)

    def seller(name):
        try:
            for _ in range(ROUNDS):
                for documents in moves[name]:
                    barrier.wait(timeout=30)
                    DatabaseBackend().index(documents)  # a deadlock surfaces as SearchUnavailable
        except Exception:
            barrier.abort()  # the other seller stops waiting
            raise

    assert run_together(*(lambda name=name: seller(name) for name in moves)) == []
    counted = _cells()
    fill_facet_cells(connection)
    assert counted == _cells()
    assert all(counted[cell_of[document["id"]]] >= 1 for pair in pairs for document in pair)
