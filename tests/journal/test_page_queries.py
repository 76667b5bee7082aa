"""The pair's messages and meetings pages read a fixed number of SQL statements however long
the thread is: the messages page commits what it marked read after rendering (a commit before
it expired every message, which the template then read again one by one)."""

from lti_tool.extensions import db
from lti_tool.journal.models import Message
from lti_tool.pairs.models import Pair
from tests.support.staff_lists import counted_queries


def _write(app, pair_id: int, count: int) -> None:
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        for n in range(count):
            author = pair.mentee_id if n % 2 else pair.mentor_id
            db.session.add(Message(pair_id=pair_id, author_id=author, body=f"Note {n}"))
        db.session.commit()


def test_the_messages_page_reads_the_same_statements_for_any_thread(app, pair):
    staff, mona, lena, pair_id = pair
    page = f"/pairs/{pair_id}/messages"
    _write(app, pair_id, 2)
    lena.get(page)
    with counted_queries(app) as short:
        assert lena.get(page).status_code == 200
    _write(app, pair_id, 12)
    assert b" unread" in lena.get(page).data  # Mona's new notes, marked read by this view
    with counted_queries(app) as long:
        shown = lena.get(page).get_data(as_text=True)
    assert shown.count("Note ") == 14
    assert " unread" not in shown  # what the last view marked read was committed
    assert len(long) == len(short), (len(short), len(long))
