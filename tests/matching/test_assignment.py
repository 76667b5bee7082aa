"""Assignment policies: `optimal` against brute force (matched count first, then total), the
exact definition of stability for `stable` with mentees ranking by the total and mentors by
their own view (and, by brute force, that it is the stable matching mentees like best),
`greedy` as the baseline, locked pairs and exclusions, plain reasons for the unmatched, and
`compare`."""

import itertools
import random
from dataclasses import dataclass

import numpy as np
import pytest

from lti_tool.matching import assignment
from lti_tool.matching.profiles import Constraints, Person, Weights
from lti_tool.matching.scoring import ScoreTable, score_all
from tests.support.matching import WINTER, hours, person, random_person, random_table


def random_instance(seed: int):
    """A small random table with capacities, locks and exclusions, for brute force."""
    rng = random.Random(seed)
    table = random_table(rng, rng.randint(1, 6), rng.randint(1, 3), ties=rng.random() < 0.5,
                         feasible_share=rng.uniform(0.3, 0.9))
    return table, *staff_decisions(rng, table)


def people_instance(seed: int):
    """Like random_instance, but scored from random people, so that mentors see the pairs their
    own way (a table of bare arrays has no topics: its mentors see the total)."""
    rng = random.Random(seed)
    mentees = [random_person(rng, pid) for pid in range(1, rng.randint(2, 6))]
    mentors = [random_person(rng, pid, rng.randint(0, 2))
               for pid in range(10, 10 + rng.randint(1, 3))]
    constraints = Constraints(require_shared_language=rng.random() < 0.3,
                              min_overlap_hours=rng.choice([0, 0, 0.5]))
    table = score_all(mentees, mentors, Weights(), constraints, WINTER)
    return table, *staff_decisions(rng, table)


def staff_decisions(rng: random.Random, table: ScoreTable):
    """Random capacities, a lock and an exclusion, each some of the time."""
    capacities = ({m.id: rng.randint(0, 3) for m in table.mentors if rng.random() < 0.5}
                  if rng.random() < 0.5 else None)
    locked, excluded = [], []
    if rng.random() < 0.4:  # any pair may be locked by staff, feasible or not
        locked.append((rng.choice(table.mentees).id, rng.choice(table.mentors).id))
    if rng.random() < 0.4:
        excluded.append(rng.choice(table.mentees + table.mentors).id)
    return capacities, locked, excluded


def places_left(table: ScoreTable, capacities, locked, excluded) -> dict[int, int]:
    places = {m.id: (capacities or {}).get(m.id, m.capacity) for m in table.mentors}
    for _, mentor_id in kept_locks(locked, excluded):
        places[mentor_id] -= 1
    return places


def kept_locks(locked, excluded):
    return [(e, m) for e, m in locked if e not in excluded and m not in excluded]


def score(table: ScoreTable, mentee_id: int, mentor_id: int) -> float:
    return float(table.total[table.row_of[mentee_id], table.column_of[mentor_id]])


def brute_force(table: ScoreTable, capacities, locked, excluded) -> tuple[int, float]:
    """The best (matched, total) of the free mentees, over every possible assignment."""
    places = places_left(table, capacities, locked, excluded)
    locked_mentees = {e for e, _ in kept_locks(locked, excluded)}
    free = [p.id for p in table.mentees if p.id not in excluded | locked_mentees]
    options = [[None] + [m.id for m in table.mentors if m.id not in excluded
                         and table.feasible[table.row_of[e], table.column_of[m.id]]]
               for e in free]
    best = (0, 0.0)
    for choice in itertools.product(*options):
        chosen = [m for m in choice if m is not None]
        if any(chosen.count(m) > places[m] for m in set(chosen)):
            continue
        total = sum(score(table, e, m) for e, m in zip(free, choice, strict=True) if m)
        best = max(best, (len(chosen), total))
    return best


def check_rules(table: ScoreTable, result, capacities, locked, excluded) -> None:
    """Locks kept, exclusions respected, capacities and feasibility never broken."""
    locks = kept_locks(locked, excluded)
    assert result.pairs[:len(locks)] == locks
    mentees = [e for e, _ in result.pairs]
    assert len(mentees) == len(set(mentees))
    assert not {e for e, m in result.pairs} & excluded
    assert not {m for e, m in result.pairs} & excluded
    for mentor in table.mentors:
        load = sum(1 for _, m in result.pairs[len(locks):] if m == mentor.id)
        assert load <= max(0, places_left(table, capacities, locked, excluded)[mentor.id])
    for e, m in result.pairs[len(locks):]:
        assert table.feasible[table.row_of[e], table.column_of[m]]
    matched = set(mentees)
    assert set(result.unmatched) == {p.id for p in table.mentees} - matched
    assert all(result.unmatched[e] == "excluded by staff" for e in excluded
               if e in result.unmatched)
    total = sum(score(table, e, m) for e, m in result.pairs)
    assert result.total == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize("seed", range(250))
def test_optimal_equals_brute_force(seed):
    table, capacities, locked, excluded = random_instance(seed)
    excluded = set(excluded)
    result = assignment.optimal(table, capacities, locked, excluded)
    check_rules(table, result, capacities, locked, excluded)
    matched, total = brute_force(table, capacities, locked, excluded)
    locks = kept_locks(locked, excluded)
    assert len(result.pairs) - len(locks) == matched
    assert result.total - sum(score(table, e, m) for e, m in locks) == pytest.approx(
        total, abs=1e-6)


def test_optimal_matches_more_mentees_before_a_higher_total():
    # A is great with X and poor with Y; B can only have X. Matching both beats a 100.
    table = ScoreTable(
        mentees=[Person(1, "UTC", frozenset()), Person(2, "UTC", frozenset())],
        mentors=[Person(10, "UTC", frozenset()), Person(11, "UTC", frozenset())],
        total=_array([[100, 1], [50, 0]]), feasible=_array([[1, 1], [1, 0]], bool))
    best, baseline = assignment.optimal(table), assignment.greedy(table)
    assert best.pairs == [(1, 11), (2, 10)] and best.total == 51
    assert baseline.pairs == [(1, 10)] and baseline.total == 100
    assert baseline.unmatched == {2: "no mentor with capacity left: its 1 feasible mentor "
                                     "is full with other mentees"}


def _array(rows, dtype="float32"):
    return np.array(rows, dtype=dtype)


@pytest.mark.parametrize("seed", range(150))
def test_optimal_is_never_behind_greedy_or_stable(seed):
    table, capacities, locked, excluded = random_instance(1000 + seed)
    best = assignment.optimal(table, capacities, locked, excluded)
    for other in (assignment.greedy, assignment.stable):
        result = other(table, capacities, locked, excluded)
        check_rules(table, result, capacities, locked, set(excluded))
        assert len(best.pairs) >= len(result.pairs)
        if len(best.pairs) == len(result.pairs):
            assert best.total >= result.total - 1e-6


def mentor_views(table: ScoreTable) -> np.ndarray:
    """Every mentor's view of every pair, [mentee row, mentor column]."""
    return np.array([table.mentor_view(i) for i in range(len(table.mentees))],
                    dtype=np.float32).reshape(table.total.shape)


def blocking_pairs(table: ScoreTable, result, capacities, locked, excluded, tie_break=False,
                   views=None):
    """Feasible pairs (e, m) not made where e prefers m to their mentor (or has none) and m
    has a place left or prefers e to a mentee m holds (locked mentees cannot be displaced).
    Mentees prefer by the total, mentors by their view of the pair (`views`, computed when
    not given). With tie_break, ties are broken as `stable` breaks them: the earlier mentor
    for a mentee, the earlier mentee for a mentor; without, preferences are strict only."""
    mentor_of, locks = result.mentor_of(), kept_locks(locked, excluded)
    locked_mentees = {x for x, _ in locks}
    places = places_left(table, capacities, locked, excluded)
    views = mentor_views(table) if views is None else views

    def key(e, m, side):
        i, j = table.row_of[e], table.column_of[m]
        value = float(table.total[i, j] if side == "mentee" else views[i, j])
        return (value, -(j if side == "mentee" else i)) if tie_break else (value,)

    found = []
    for e, m in itertools.product([p.id for p in table.mentees], [p.id for p in table.mentors]):
        if (e in excluded or m in excluded or e in locked_mentees
                or not table.feasible[table.row_of[e], table.column_of[m]]
                or mentor_of.get(e) == m):
            continue
        held = [x for x, y in result.pairs[len(locks):] if y == m]
        mentee_prefers = e not in mentor_of or key(e, m, "mentee") > key(e, mentor_of[e],
                                                                          "mentee")
        mentor_prefers = len(held) < places[m] or any(
            key(e, m, "mentor") > key(x, m, "mentor") for x in held)
        if mentee_prefers and mentor_prefers:
            found.append((e, m))
    return found


@pytest.mark.parametrize("seed", range(150))
def test_stable_has_no_blocking_pair(seed):
    table, capacities, locked, excluded = random_instance(2000 + seed)
    excluded = set(excluded)
    result = assignment.stable(table, capacities, locked, excluded)
    check_rules(table, result, capacities, locked, excluded)
    assert blocking_pairs(table, result, capacities, locked, excluded) == []
    assert blocking_pairs(table, result, capacities, locked, excluded, tie_break=True) == []
    # A table of bare arrays: mentors see the total too. With both sides ranking by the same
    # scores the stable matching is unique, and greedy's.
    assert np.array_equal(mentor_views(table), table.total)
    assert result.pairs == assignment.greedy(table, capacities, locked, excluded).pairs


def stable_matchings(table: ScoreTable, capacities, locked, excluded, views):
    """Every matching (mentee id -> mentor id, locks included) with no blocking pair under the
    tie-broken two-sided preferences, by brute force."""
    places = places_left(table, capacities, locked, excluded)
    locks = kept_locks(locked, excluded)
    free = [p.id for p in table.mentees if p.id not in excluded | {e for e, _ in locks}]
    options = [[None] + [m.id for m in table.mentors if m.id not in excluded
                         and table.feasible[table.row_of[e], table.column_of[m.id]]]
               for e in free]
    for choice in itertools.product(*options):
        chosen = [m for m in choice if m is not None]
        if any(chosen.count(m) > places[m] for m in set(chosen)):
            continue
        pairs = locks + [(e, m) for e, m in zip(free, choice, strict=True) if m is not None]
        candidate = assignment.Matching(pairs, 0.0, {}, "candidate")
        if not blocking_pairs(table, candidate, capacities, locked, excluded, tie_break=True,
                              views=views):
            yield candidate.mentor_of()


def check_stable(table: ScoreTable, capacities, locked, excluded) -> int:
    """`stable`'s rules, no blocking pair under the two views, and, by brute force over every
    matching, that each mentee's mentor is the best they have in any stable matching
    (mentee-proposing deferred acceptance is mentee-optimal). Returns how many stable
    matchings there are."""
    excluded = set(excluded)
    result = assignment.stable(table, capacities, locked, excluded)
    check_rules(table, result, capacities, locked, excluded)
    views = mentor_views(table)
    assert blocking_pairs(table, result, capacities, locked, excluded, views=views) == []
    assert blocking_pairs(table, result, capacities, locked, excluded, tie_break=True,
                          views=views) == []
    everything = list(stable_matchings(table, capacities, locked, excluded, views))
    mine = result.mentor_of()
    assert mine in everything

    def rank(e, m):  # the mentee's tie-broken preference; no mentor is worst
        return (-1.0, 0) if m is None else (score(table, e, m), -table.column_of[m])

    for other in everything:
        assert all(rank(e, mine.get(e)) >= rank(e, other.get(e)) for e in other.keys() | mine)
    return len(everything)


@pytest.mark.parametrize("seed", range(150))
def test_stable_is_the_best_stable_matching_for_every_mentee(seed):
    """Scored from people, so the two sides rank differently."""
    table, capacities, locked, excluded = people_instance(3000 + seed)
    check_stable(table, capacities, locked, excluded)
    best = assignment.optimal(table, capacities, locked, excluded)
    result = assignment.stable(table, capacities, locked, excluded)
    assert (len(best.pairs), best.total + 1e-6) >= (len(result.pairs), result.total)


@dataclass
class OwnViews(ScoreTable):
    """A table whose mentors rank by any scores given (`views`), unrelated to the totals."""

    views: np.ndarray | None = None

    def mentor_view(self, i, columns=None):
        return self.views[i, slice(None) if columns is None else columns]


def own_views_instance(seed: int):
    """Independent random preferences on both sides, in a market about as large on each side
    (mostly one mentee per place): there, several stable matchings are common."""
    rng = random.Random(seed)
    capacity = [rng.choice([1, 1, 2]) for _ in range(rng.randint(2, 4))]
    shape = (min(5, sum(capacity) + rng.choice([-1, 0, 0, 1])), len(capacity))

    def scores():
        return np.array([rng.uniform(0, 100) for _ in range(shape[0] * shape[1])],
                        dtype=np.float32).reshape(shape)

    table = OwnViews(
        mentees=[Person(100 + i, "UTC", frozenset()) for i in range(shape[0])],
        mentors=[Person(200 + j, "UTC", frozenset(), capacity=c) for j, c in enumerate(capacity)],
        total=scores(), views=scores(),
        feasible=np.array([rng.random() < 0.9 for _ in range(shape[0] * shape[1])]).reshape(shape))
    return table, *(staff_decisions(rng, table) if rng.random() < 0.3 else (None, [], []))


def test_stable_is_the_best_stable_matching_for_any_mentor_preferences():
    several = sum(check_stable(*own_views_instance(seed)) > 1 for seed in range(120))
    assert several >= 10  # the brute-force comparison had other stable matchings to beat


def test_when_several_matchings_are_stable_mentees_get_the_best():
    """Mentee 1 wants X most (X covers their one goal); X would rather have mentee 2 (more
    overlap, while 1 draws on one of X's four topics); mentee 2 wants Y most, who would
    rather have mentee 1. Both matchings are stable; stable gives each mentee their first."""
    lenient = Constraints(require_shared_language=False, min_overlap_hours=0)
    one = person(1, topics={"a"}, slots=hours(1, "08:00", "12:00"))
    two = person(2, topics={"e"}, languages={"es"}, modality="phone",
                 slots=hours(1, "14:00", "18:00"))
    x = person(10, topics={"a", "b", "c", "d"}, languages={"fr"},
               slots=hours(1, "15:00", "18:00"))
    y = person(11, topics={"z"}, modality="chat",
               slots=hours(1, "08:00", "12:00") | hours(1, "14:00", "18:00"))
    table = score_all([one, two], [x, y], Weights(), lenient, WINTER)
    # Points of 6.5: 1-X topics 3 + modality 0.5; 1-Y availability 2 + language 1;
    # 2-X availability 1.5 (3 h); 2-Y availability 2. X sees 1 as 0.75 + 0.5.
    assert table.total == pytest.approx(np.array([[3.5, 3], [1.5, 2]]) * 100 / 6.5)
    assert mentor_views(table) == pytest.approx(np.array([[1.25, 3], [1.5, 2]]) * 100 / 6.5)
    assert check_stable(table, None, [], []) == 2
    assert list(stable_matchings(table, None, [], set(), mentor_views(table))) == [
        {1: 10, 2: 11}, {1: 11, 2: 10}]
    assert assignment.stable(table).pairs == [(1, 10), (2, 11)]


def test_stable_and_greedy_differ_on_some_random_cohorts():
    differ = sum(assignment.stable(*people_instance(3000 + seed)).pairs
                 != assignment.greedy(*people_instance(3000 + seed)).pairs
                 for seed in range(150))
    assert differ >= 5


def test_a_mentor_keeps_the_mentee_who_draws_on_more_of_their_expertise():
    """Both mentees rank the expert first. Greedy gives the expert the mentee with the higher
    total, whose one goal the expert fully covers (total 84.6) but who draws on one of the
    expert's four topics (mentor view 50.0); the expert would rather keep the mentee who draws on
    all four (mentor view 84.6, total 61.5), so stable pairs them and sends the other mentee
    to the other mentor."""
    narrow, broad = person(1, topics={"a"}), person(2, topics=set("abcdefgh"))
    expert, other = person(10, topics={"a", "b", "c", "d"}), person(11, topics={"z"})
    table = score_all([narrow, broad], [expert, other], Weights(), Constraints(), WINTER)
    # 2 h overlap (fit 0.5), a shared language, the same modality; 6.5 of weight counted.
    assert table.total[:, 0] == pytest.approx([100 * 5.5 / 6.5, 100 * 4 / 6.5])
    assert table.mentor_view(0)[0] == pytest.approx(100 * 3.25 / 6.5)
    assert table.mentor_view(1)[0] == pytest.approx(100 * 5.5 / 6.5)
    greedy, stable = assignment.greedy(table), assignment.stable(table)
    assert greedy.pairs == [(1, 10), (2, 11)]
    assert stable.pairs == [(1, 11), (2, 10)]
    assert assignment.optimal(table).pairs == greedy.pairs  # the higher total: 123.1 vs 100
    assert stable.total == pytest.approx(100.0, abs=1e-4)
    # Under the two views, greedy's matching is blocked by the broad mentee and the expert.
    assert blocking_pairs(table, greedy, None, [], set()) == [(2, 10)]
    assert blocking_pairs(table, stable, None, [], set(), tie_break=True) == []
    assert assignment.compare(greedy, stable).moves == {1: (10, 11), 2: (11, 10)}


def test_the_blocking_pair_check_finds_one_in_an_unstable_matching():
    rng = random.Random(3)
    for _ in range(200):  # a random matching of a larger table is rarely stable
        table = random_table(rng, 5, 3, feasible_share=1.0, max_capacity=1)
        pairs = list(zip([p.id for p in table.mentees], [p.id for p in table.mentors],
                         strict=False))
        fake = assignment.Matching(pairs, 0.0, {}, "test")
        if blocking_pairs(table, fake, None, [], set()):
            return
    pytest.fail("the check never found a blocking pair")


def test_stable_lets_the_better_mentee_displace_another():
    table = ScoreTable(
        mentees=[Person(1, "UTC", frozenset()), Person(2, "UTC", frozenset())],
        mentors=[Person(10, "UTC", frozenset()), Person(11, "UTC", frozenset())],
        total=_array([[60, 50], [90, 10]]), feasible=_array([[1, 1], [1, 1]], bool))
    assert assignment.stable(table).pairs == [(1, 11), (2, 10)]


def test_locked_pairs_use_places_and_exclusions_leave_people_out():
    mentees = [person(1), person(2), person(3)]
    mentors = [person(10, capacity=2), person(11, languages={"es"})]
    table = score_all(mentees, mentors, Weights(), Constraints(), WINTER)
    result = assignment.optimal(table, locked=[(1, 10), (2, 11)], excluded=[3])
    assert result.pairs == [(1, 10), (2, 11)]  # a lock may break a rule: staff decided
    assert result.unmatched == {3: "excluded by staff"}
    result = assignment.optimal(table, capacities={10: 1}, locked=[(1, 10)])
    assert result.pairs == [(1, 10)]
    assert result.unmatched[2] == result.unmatched[3] == "no mentor with capacity left"
    # Excluding a locked mentor drops the lock: exclusion is the later instruction.
    result = assignment.optimal(table, locked=[(1, 10)], excluded=[10])
    assert result.pairs == []
    assert result.unmatched[1] == "every feasible mentor is excluded by staff"


def test_bad_locks_are_refused():
    table = score_all([person(1)], [person(10), person(11)], Weights(), Constraints(), WINTER)
    with pytest.raises(ValueError, match="not in the table"):
        assignment.optimal(table, locked=[(1, 99)])
    with pytest.raises(ValueError, match="more than one"):
        assignment.stable(table, locked=[(1, 10), (1, 11)])


def test_unmatched_mentees_get_plain_reasons():
    mentees = [
        person(1, topics={"a"}),
        person(2, languages={"ja"}),
        person(3, languages={"ja"}, slots=set()),
        person(4, slots=hours(3, "06:00", "07:00")),
        person(5, groups={"B"}),
    ]
    mentors = [person(10, groups={"A"}, topics={"a"}),
               person(11, languages={"es", "ja"}, slots=hours(2, "09:00", "10:00"))]
    table = score_all(mentees, mentors, Weights(), Constraints(group_rule="any"), WINTER)
    result = assignment.optimal(table)
    assert result.pairs == [(1, 10)]
    assert result.unmatched == {
        2: "no feasible mentor: no shared language with 1 of 2 mentors; "
           "less than 1 h weekly overlap with 1 of 2 mentors",
        3: "no feasible mentor: less than 1 h weekly overlap with any mentor",
        4: "no feasible mentor: less than 1 h weekly overlap with any mentor",
        5: "no mentor with capacity left: its 1 feasible mentor is full with other mentees",
    }
    grouped = score_all(mentees[:1], mentors[:1], Weights(), Constraints(group_rule="same"),
                        WINTER)
    assert assignment.stable(grouped).unmatched == {
        1: "no feasible mentor: not in the same group as any mentor"}
    language = score_all(mentees[1:2], mentors[:1], Weights(), Constraints(), WINTER)
    assert assignment.greedy(language).unmatched == {
        2: "no feasible mentor: no shared language with any mentor"}
    alone = score_all([person(7)], [person(7)], Weights(), Constraints(), WINTER)
    assert assignment.optimal(alone).unmatched == {
        7: "no feasible mentor: the only mentor is themself"}
    nobody = score_all([person(8)], [], Weights(), Constraints(), WINTER)
    assert assignment.optimal(nobody).unmatched == {
        8: "no feasible mentor: there are no mentors"}


def test_a_peer_mentor_is_never_their_own_mentor():
    both = person(1, capacity=1)
    table = score_all([both, person(2)], [both], Weights(), Constraints(), WINTER)
    for policy in (assignment.optimal, assignment.stable, assignment.greedy):
        assert policy(table).pairs == [(2, 1)]


def test_compare_lists_who_moves():
    first = assignment.Matching([(1, 10), (2, 11), (3, 10)], 150.0, {4: "x"}, "optimal")
    second = assignment.Matching([(1, 10), (2, 10), (4, 11)], 140.0, {3: "y"}, "stable")
    diff = assignment.compare(first, second)
    assert diff.changed == [2]
    assert diff.only_in_first == [3] and diff.only_in_second == [4]
    assert diff.moves == {2: (11, 10), 3: (10, None), 4: (None, 11)}
    assert (diff.first_total, diff.second_total) == (150.0, 140.0)
    assert (diff.first_policy, diff.second_policy) == ("optimal", "stable")
    assert (diff.first_matched, diff.second_matched) == (3, 3)
    same = assignment.compare(first, first)
    assert same.moves == {} and same.changed == []
