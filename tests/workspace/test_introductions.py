"""Who the other member is, on the hub: the mentor reads their mentee's own words from the
intake (goals, what to keep in mind), the mentee reads their mentor's profile (bio, expertise,
languages); both escaped, and nobody else reads them (another pair's mentor, staff)."""

from tests.support.introductions import describe, second_pair
from tests.support.workspace import SCRIPT, page

GOALS = f"Lead my first team {SCRIPT}\nwithout burning out"
MIND = "I stutter a little <b>when nervous</b>"
BIO = f"Twenty years in logistics {SCRIPT}"


def test_the_mentor_reads_the_mentees_own_words_escaped(app, pair):
    _, mona, lena, pair_id = pair
    describe(app, "10", goals_text=GOALS, preferences=MIND, topics=["Leadership", "Data"])
    hub = page(mona, f"/pairs/{pair_id}")
    assert b"In Lena's own words" in hub
    assert b"Lead my first team &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\nwithout" in hub
    assert b"I stutter a little &lt;b&gt;when nervous&lt;/b&gt;" in hub
    assert b"Leadership, Data" in hub
    assert SCRIPT.encode() not in hub and b"<b>when" not in hub
    assert b"program staff do not see it" in hub
    assert b"own words" not in page(lena, f"/pairs/{pair_id}")  # for the mentor only


def test_an_empty_intake_says_so(app, pair):
    _, mona, _, pair_id = pair
    describe(app, "10", goals_text="", preferences="", topics=[])
    assert b"Lena wrote nothing about their goals" in page(mona, f"/pairs/{pair_id}")


def test_nobody_else_reads_the_mentees_words(app, platform, pair):
    staff, mona, _, pair_id = pair
    describe(app, "10", goals_text="LENA-OWN-GOALS", preferences="LENA-PREFERENCES")
    mateo, luis, other_pair = second_pair(app, platform)
    assert mateo.get(f"/pairs/{pair_id}").status_code == 403
    own = page(mateo, f"/pairs/{other_pair}")
    assert b"Luis wants to learn Rust" in own and b"LENA-OWN" not in own
    assert b"Luis wants to learn Rust" not in page(mona, f"/pairs/{pair_id}")
    for path in ("/", "/matching", "/mentors", f"/pairs/{pair_id}"):
        response = staff.get(path)
        assert b"LENA-OWN-GOALS" not in response.data and b"LENA-PREFERENCES" not in response.data


def test_the_mentee_reads_the_mentors_profile(app, pair):
    _, mona, lena, pair_id = pair
    describe(app, "2", bio=BIO, expertise=["Leadership", "Career paths"], languages=["en", "de"])
    hub = page(lena, f"/pairs/{pair_id}")
    assert b"Twenty years in logistics &lt;script&gt;" in hub and SCRIPT.encode() not in hub
    assert b"Can help with</dt><dd>Leadership, Career paths" in hub
    assert b"Languages</dt><dd>English, German" in hub
    assert b"in Berlin" in hub  # her local time, once (the profile leaves the zone out here)
    assert b"Time zone</dt>" not in hub
    assert b"Twenty years in logistics" not in page(mona, f"/pairs/{pair_id}")
