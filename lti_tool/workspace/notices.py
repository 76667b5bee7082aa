"""What the mentoring agreement tells the pair's members by e-mail, each in their own language
and time zone, with a link to the agreement page: a version waits for them (proposed), it is
signed, and a reminder when a version has waited WAITING_AFTER for their signature.

Never what anyone wrote: that stays in Pairwise. Keys: "agreement:<pair>:<version>:<person>"
(proposed), "agreement:<pair>:<version>:signed:<person>" and
"agreement-waiting:<pair>:<version>:<person>", the reminder, cancelled as soon as the version
is signed, replaced or the pair ends (every one of a pair at once: WAITING prefix)."""

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.intake.services import zone_of
from lti_tool.notify import services as notify
from lti_tool.notify.compose import Message, Reader, page, tell
from lti_tool.pairs import touched
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import utcnow
from lti_tool.workspace.models import AgreementVersion

WAITING_AFTER = timedelta(days=3)


def waiting_prefix(pair: Pair | int) -> str:
    return f"agreement-waiting:{pair if isinstance(pair, int) else pair.id}:"


def _page(pair: Pair) -> str:
    return page("workspace.agreement", pair_id=pair.id)


def _tell(person: Person, kind: str, compose, key: str, pair: Pair, **when) -> None:
    tell(person, kind, compose, dedupe_key=key, program=pair.program, destination=_page(pair),
         zone=zone_of(person, pair.program), **when)


def proposed(version: AgreementVersion, other: Person, changed: list[str]) -> None:
    """`other` hears that `version` waits for them; `changed` are the labels (msgids) of the
    terms it changed from the version before (empty for the first)."""
    by = version.proposed_by

    def compose(reader: Reader) -> Message:
        _ = reader.gettext
        if version.number == 1:
            return Message(
                subject=_("%(name)s proposed your mentoring agreement", name=by.display_name),
                lines=[_("%(name)s wrote a first version of your mentoring agreement: how often "
                         "you meet, how you keep in touch and what you each want from the "
                         "relationship.", name=by.display_name), _read_it(reader)],
                facts=[(_("Proposed on"), reader.when(version.created_at))],
                action=_("Read the agreement"))
        return Message(
            subject=_("%(name)s suggested changes to your mentoring agreement",
                      name=by.display_name),
            lines=[_("%(name)s proposed version %(number)s of your mentoring agreement.",
                     name=by.display_name, number=version.number), _read_it(reader)],
            facts=[(_("What changed"), "; ".join(_(label) for label in changed)),
                   (_("Proposed on"), reader.when(version.created_at))],
            action=_("Read the agreement"))

    _tell(other, "agreement_proposed", compose,
          f"agreement:{version.pair_id}:{version.number}:{other.id}", version.pair)


def _read_it(reader: Reader) -> str:
    return reader.gettext("Read it in Pairwise, then accept it, add what you want from the "
                          "relationship, or suggest changes.")


def signed(version: AgreementVersion, by: Person, other: Person) -> None:
    """`other` hears that `by` accepted `version`, the one they had accepted: it is signed."""

    def compose(reader: Reader) -> Message:
        _ = reader.gettext
        return Message(
            subject=_("%(name)s accepted your mentoring agreement", name=by.display_name),
            lines=[_("You have both accepted version %(number)s of your mentoring agreement: "
                     "it is signed.", number=version.number),
                   _("It stays in your workspace whenever you want to look back at it.")],
            facts=[(_("Signed on"), reader.when(version.signed_at or utcnow()))],
            action=_("Open the agreement"))

    _tell(other, "agreement_signed", compose,
          f"agreement:{version.pair_id}:{version.number}:signed:{other.id}", version.pair)


def schedule_waiting(version: AgreementVersion, awaited: Person) -> None:
    """A reminder to `awaited`, sent WAITING_AFTER the proposal unless it is signed, replaced
    or the pair ends first (`cancel_waiting`)."""
    by = version.proposed_by

    def compose(reader: Reader) -> Message:
        _ = reader.gettext
        return Message(
            subject=_("Your mentoring agreement waits for your signature"),
            lines=[_("%(name)s proposed version %(number)s of your mentoring agreement and is "
                     "waiting for your answer.", name=by.display_name, number=version.number),
                   _read_it(reader)],
            facts=[(_("Proposed on"), reader.when(version.created_at))],
            action=_("Read the agreement"))

    _tell(awaited, "agreement_waiting", compose,
          f"{waiting_prefix(version.pair_id)}{version.number}:{awaited.id}", version.pair,
          send_after=utcnow() + WAITING_AFTER)


def cancel_waiting(pair: Pair | int) -> int:
    """Cancel the pair's pending reminders (the version they were about is signed, replaced,
    or the pair ended)."""
    return notify.cancel(waiting_prefix(pair))


def _cancel_for_ended(pair_ids: set[int]) -> None:
    ended = db.session.scalars(sa.select(Pair.id).where(Pair.id.in_(sorted(pair_ids)),
                                                        Pair.status != "active"))
    for pair_id in ended:
        cancel_waiting(pair_id)


def subscribe() -> None:
    """An ended pair's reminders go with it, in the transaction that ends it."""
    touched.subscribe(touched.Subscriber("agreement-reminders", lambda: (Pair,),
                                         _cancel_for_ended))
