"""What Pairwise tells people about their pairing: matches published; a mentee's request
received, accepted, declined or lapsed; a pair extended, ending in a week, ended.

Each public function says who hears of one event and queues it through `notify.compose.tell`,
whose composers (the `_…` functions returning `compose(reader)`) write it for each reader: in
their language, times in the zone of their intake. Dedupe keys name the event and its version,
so an event is told once however often the code runs:

    pair:<id>:published:<person>          a match (publish, rematch)
    pair:<id>:extended:<n>:<person>       the n-th extension: each one is an event of its own
    pair:<id>:ending:<end date>:<person>  a week before the end (queued two weeks ahead at
                                          most: `plan_ending`); cancelled when the date moves
                                          or the pair ends, so a new date is a new key
    pair:<id>:ended:<person>
    request:<id>:received | accepted | declined
    request:<id>:lapsed:<mentee|mentor>   queued for the deadline (at the ask, or by the
                                          sweep as it nears), cancelled when the mentor
                                          answers (`withdraw_lapse`)

Keys about a pair start with "pair:<id>:", which privacy erasure forgets with the pair's other
messages. Links name the tool's page; `courses.landing` makes them reach the person through
their LMS.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.intake import services as intake
from lti_tool.intake.models import Profile
from lti_tool.intake.services import zone_of
from lti_tool.notify import services as notify
from lti_tool.notify.compose import Message, Reader, links, page, tell
from lti_tool.notify.models import SENDING, SENT, Notification
from lti_tool.notify.readers import valid_zone, zone_info
from lti_tool.pairs.members import other_member
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.timeutil import as_utc, utcnow

Compose = Callable[[Reader], Message]

# Where a mentee chooses a mentor and a mentor answers a request: both live on the home page.
CHOOSE_A_MENTOR = "homes.home"
ANSWER_REQUESTS = "homes.home"
ENDING_NOTICE = timedelta(days=7)
NOTICE_TIME = time(9)  # a notice planned for a day arrives at 9:00 in the reader's zone
# An e-mail's link is signed when it is queued and lasts LANDING_LINK_DAYS (courses.landing),
# so a notice is queued at most this long before it goes; the daily sweep (reminders.py)
# queues the ones further out once they come this close.
PLAN_AHEAD = timedelta(days=14)


# --- Telling ---------------------------------------------------------------------------------

def too_far(moment: datetime, now: datetime) -> bool:
    """Whether a notice due at `moment` is to be queued later (see PLAN_AHEAD)."""
    return as_utc(moment) > now + PLAN_AHEAD


def is_queued(key: str) -> bool:
    return db.session.scalar(sa.select(Notification.id).filter_by(dedupe_key=key)) is not None


def told(person: Person, kind: str, compose: Compose, *, key: str, program: Program,
         destination: str, send_after: datetime | None = None) -> bool:
    """Tell `person` unless `key` was told already (without writing the message again);
    whether it was queued now."""
    if is_queued(key):
        return False
    tell(person, kind, compose, dedupe_key=key, program=program, destination=destination,
         zone=zone_of(person, program), send_after=send_after)
    return True


def hub(pair: Pair) -> str:
    return page("workspace.hub", pair_id=pair.id)


# --- Matches ---------------------------------------------------------------------------------

def match_published(pair: Pair) -> int:
    """Both members hear who the other is, why they were matched, a weekly time that suits
    both and the first steps; the notice a week before the end is planned. Returns how many
    messages were queued now."""
    with links():
        program = pair.program
        mentee_profile = intake.profile_for(program, pair.mentee)
        mentor_profile = intake.profile_for(program, pair.mentor)
        queued = int(told(pair.mentee, "match_published", _to_mentee(pair, mentor_profile),
                          key=f"pair:{pair.id}:published:{pair.mentee_id}", program=program,
                          destination=hub(pair)))
        queued += told(pair.mentor, "match_published", _to_mentor(pair, mentee_profile),
                       key=f"pair:{pair.id}:published:{pair.mentor_id}", program=program,
                       destination=hub(pair))
        return queued + plan_ending(pair)


def _to_mentee(pair: Pair, mentor_profile: Profile | None) -> Compose:
    name, zones = pair.mentor.display_name, _zones(pair)

    def compose(r: Reader) -> Message:
        lines = [r.gettext("%(name)s is your mentor in %(program)s.", name=name,
                           program=pair.program.title),
                 *_why(r, pair.explanation),
                 *_weekly_time(r, pair, zones, mine=pair.mentee_id),
                 _first_steps(r)]
        return Message(subject=r.gettext("You have a mentor: %(name)s", name=name),
                       lines=lines, facts=mentor_facts(r, mentor_profile),
                       quote=(mentor_profile.bio or "").strip() if mentor_profile else "",
                       quote_by=r.gettext("%(name)s, in their own words", name=name),
                       action=r.gettext("Open your workspace"))
    return compose


def _to_mentor(pair: Pair, mentee_profile: Profile | None) -> Compose:
    name, zones = pair.mentee.display_name, _zones(pair)
    words = own_words(mentee_profile)

    def compose(r: Reader) -> Message:
        lines = [r.gettext("%(name)s is your new mentee in %(program)s.", name=name,
                           program=pair.program.title),
                 *_why(r, pair.explanation),
                 *_weekly_time(r, pair, zones, mine=pair.mentor_id),
                 _first_steps(r)]
        if not any(words):
            lines.insert(1, r.gettext("%(name)s has not written about their goals yet: ask "
                                      "them in your first meeting.", name=name))
        return Message(subject=r.gettext("You have a new mentee: %(name)s", name=name),
                       lines=lines, facts=_mentee_facts(r, mentee_profile),
                       quote=_quoted(r, words),
                       quote_by=r.gettext("%(name)s, in their own words", name=name),
                       action=r.gettext("Open your workspace"))
    return compose


def _why(r: Reader, explanation: str) -> list[str]:
    """The matching's explanation, as the matching page and the hub show it."""
    return [r.gettext("Why you were matched: %(why)s", why=explanation)] if explanation else []


def _fit(r: Reader, explanation: str) -> list[str]:
    """A recommendation's explanation, as the mentor's home shows it with the request."""
    return [r.gettext("Why you fit: %(why)s", why=explanation)] if explanation else []


def _first_steps(r: Reader) -> str:
    return r.gettext("First steps: propose a first meeting (your workspace lists the times "
                     "that suit you both), then agree on your mentoring agreement together: "
                     "how often you meet, how you keep in touch and what you each want.")


def _zones(pair: Pair) -> dict[int, str]:
    return {person.id: zone_of(person, pair.program) for person in (pair.mentee, pair.mentor)}


def _weekly_time(r: Reader, pair: Pair, zones: dict[int, str], mine: int) -> list[str]:
    """The proposal's weekly slot in both members' local times, in the reader's language."""
    if not (pair.slot or {}).get("start_utc"):
        return [r.gettext("Your availabilities have no weekly time in common: find one "
                          "together on the meetings page.")]
    start = as_utc(datetime.fromisoformat(pair.slot["start_utc"]))
    theirs = pair.mentor_id if mine == pair.mentee_id else pair.mentee_id
    partner = pair.mentor if mine == pair.mentee_id else pair.mentee
    return [r.gettext("A weekly time that suits you both: %(mine)s for you, %(theirs)s for "
                      "%(name)s.", mine=weekly(r, start, zones[mine]),
                      theirs=weekly(r, start, zones[theirs]),
                      name=partner.given_name or partner.display_name)]


def weekly(r: Reader, start: datetime, zone: str) -> str:
    """ "Tuesday 18:00 (Berlin time)": a weekly time as someone in `zone` reads it, in the
    reader's language."""
    there = replace(r, zone=valid_zone(zone))
    local = start.astimezone(ZoneInfo(there.zone))
    return f"{format_datetime(local, 'EEEE HH:mm', locale=r.locale)} ({there.place})"


def mentor_facts(r: Reader, profile: Profile | None) -> list[tuple[str, str]]:
    """The mentor's profile as mentees see it: expertise, languages, time zone."""
    if profile is None:
        return []
    facts = []
    if profile.expertise:
        facts.append((r.gettext("Expertise"), ", ".join(profile.expertise)))
    if profile.languages:
        facts.append((r.gettext("Languages"),
                      ", ".join(language_name(r, code) for code in profile.languages)))
    facts.append((r.gettext("Time zone"), profile.timezone.replace("_", " ")))
    return facts


def language_name(r: Reader, code: str) -> str:
    """ "German" for "de", in the reader's language (Babel knows every locale's names)."""
    try:
        names = Locale.parse(r.locale).languages
    except (ValueError, UnknownLocaleError):
        return code
    return names.get(code.lower(), code)


def own_words(profile: Profile | None) -> tuple[str, str]:
    """A mentee's intake in their words: their goals, and what they asked us to consider."""
    if profile is None:
        return ("", "")
    return ((profile.goals_text or "").strip(), (profile.preferences or "").strip())


def _quoted(r: Reader, words: tuple[str, str]) -> str:
    goals, consider = words
    parts = [goals] if goals else []
    if consider:
        parts.append(r.gettext("Anything to consider: %(text)s", text=consider))
    return "\n\n".join(parts)


def _mentee_facts(r: Reader, profile: Profile | None) -> list[tuple[str, str]]:
    if profile is None or not profile.topics:
        return []
    return [(r.gettext("Goals they chose"), ", ".join(profile.topics))]


# --- The end of a pair -----------------------------------------------------------------------

def plan_ending(pair: Pair, now: datetime | None = None) -> int:
    """The notice to both members a week before the pair's end, at 9:00 their time, once that
    moment is less than PLAN_AHEAD away (until then the daily sweep asks again); none once it
    has passed (a message about the date has just gone, or the end is too near)."""
    ends_on = pair.ends_on
    if pair.status != "active" or ends_on is None:
        return 0
    now, queued = now or utcnow(), 0
    with links():
        for person in (pair.mentee, pair.mentor):
            moment = datetime.combine(ends_on - ENDING_NOTICE, NOTICE_TIME,
                                      tzinfo=zone_info(zone_of(person, pair.program)))
            if moment <= now or too_far(moment, now):
                continue
            queued += told(person, "pair_ending", _ending(other_member(pair, person), ends_on),
                           key=f"{_ending_prefix(pair)}{ends_on}:{person.id}",
                           program=pair.program, destination=hub(pair), send_after=moment)
    return queued


def _ending_prefix(pair: Pair) -> str:
    return f"pair:{pair.id}:ending:"


def _ending(partner: Person, ends_on: date) -> Compose:
    name = partner.display_name

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("Your mentoring with %(name)s ends in a week", name=name),
            lines=[r.gettext("Your mentoring relationship with %(name)s ends on %(date)s.",
                             name=name, date=r.day(ends_on)),
                   r.gettext("Make the most of the last week: plan a last meeting, look back "
                             "at your goals together, and answer the end-of-program survey. "
                             "If you would like more time, ask your program team: they can "
                             "extend your pair.")],
            facts=[(r.gettext("End of your mentoring"), r.day(ends_on))],
            action=r.gettext("Open your workspace"))
    return compose


def pair_extended(pair: Pair, before: date | None) -> int:
    """Both members hear the new end date (each extension is an event of its own); the notice
    a week before the end moves with it."""
    until = pair.ends_on
    if until is None:
        return 0
    with links():
        notify.cancel(_ending_prefix(pair))
        number = len(pair.extensions)
        queued = sum(told(person, "pair_extended",
                          _extended(other_member(pair, person), before, until),
                          key=f"pair:{pair.id}:extended:{number}:{person.id}",
                          program=pair.program, destination=hub(pair))
                     for person in (pair.mentee, pair.mentor))
        return queued + plan_ending(pair)


def _extended(partner: Person, before: date | None, until: date) -> Compose:
    name = partner.display_name

    def compose(r: Reader) -> Message:
        line = (r.gettext("Your program team extended your mentoring relationship with "
                          "%(name)s: it now runs until %(date)s instead of %(before)s.",
                          name=name, date=r.day(until), before=r.day(before)) if before else
                r.gettext("Your program team extended your mentoring relationship with "
                          "%(name)s: it now runs until %(date)s.", name=name, date=r.day(until)))
        return Message(
            subject=r.gettext("Your mentoring with %(name)s continues until %(date)s",
                              name=name, date=r.day(until)),
            lines=[line],
            facts=[(r.gettext("End of your mentoring"), r.day(until))],
            action=r.gettext("Open your workspace"))
    return compose


def pair_ended(pair: Pair, avoid_again: bool) -> int:
    """Both members hear that the pair ended and what happens next; the notice a week before
    the planned end is cancelled."""
    with links():
        notify.cancel(_ending_prefix(pair))
        completed = pair.status == "completed"
        # A completed pair owes its end-of-program survey (surveys.services.due_for).
        destination = (page("surveys.checkin", pair_id=pair.id) if completed
                       else hub(pair))
        return sum(told(person, "pair_ended", _ended(pair, person, avoid_again),
                        key=f"pair:{pair.id}:ended:{person.id}", program=pair.program,
                        destination=destination)
                   for person in (pair.mentee, pair.mentor))


def _ended(pair: Pair, person: Person, avoid_again: bool) -> Compose:
    name, completed = other_member(pair, person).display_name, pair.status == "completed"
    is_mentee, choice = person.id == pair.mentee_id, pair.program.mentee_choice

    def compose(r: Reader) -> Message:
        if completed:
            subject = r.gettext("Your mentoring with %(name)s is complete", name=name)
            lines = [r.gettext("Your mentoring relationship with %(name)s is complete. Thank "
                               "you for taking part!", name=name),
                     r.gettext("Please tell the program how it went: the end-of-program "
                               "survey takes five minutes.")]
        else:
            subject = r.gettext("Your mentoring with %(name)s has ended", name=name)
            lines = [r.gettext("Your program team has ended your mentoring relationship with "
                               "%(name)s.", name=name)]
        lines.append(r.gettext("What you wrote together (your agreement, goals, recaps and "
                               "messages) stays readable in your workspace."))
        lines += _what_next(r, name, is_mentee, choice, avoid_again)
        action = r.gettext("Answer the survey") if completed else r.gettext(
            "Open your workspace")
        return Message(subject=subject, lines=lines, action=action)
    return compose


def _what_next(r: Reader, partner: str, is_mentee: bool, choice: bool,
               avoid_again: bool) -> list[str]:
    if is_mentee:
        lines = [r.gettext("You can have a new mentor: choose one from your recommendations in "
                           "Pairwise.") if choice else
                 r.gettext("You can have a new mentor: your program team will include you in "
                           "their next matching.")]
    else:
        lines = [r.gettext("Your place is free for another mentee.")]
    if not avoid_again:
        lines.append(r.gettext("If you would both like to continue with %(name)s, tell your "
                               "program team: they can pair you again.", name=partner))
    return lines


# --- Mentee choice: requests -----------------------------------------------------------------

def _program_of(request: MentorRequest) -> Program:
    return db.session.get_one(Program, request.program_id)


def request_received(request: MentorRequest) -> int:
    """The mentor hears of the request and its deadline (urgent); the lapse notices to both
    are queued for the deadline, in case no answer comes."""
    with links():
        program = _program_of(request)
        mentee_profile = intake.profile_for(program, request.mentee)
        compose = _received(request, program, mentee_profile)
        queued = int(told(request.mentor, "request_received", compose,
                          key=f"request:{request.id}:received", program=program,
                          destination=page(ANSWER_REQUESTS)))
        return queued + request_lapsed(request)


def _received(request: MentorRequest, program: Program,
              mentee_profile: Profile | None) -> Compose:
    name, deadline = request.mentee.display_name, request.respond_by
    goals = own_words(mentee_profile)[0]

    def compose(r: Reader) -> Message:
        lines = [r.gettext("%(name)s, a learner in %(program)s, would like you as their "
                           "mentor. Please accept or decline by %(deadline)s: after that the "
                           "request lapses and they choose someone else.", name=name,
                           program=program.title, deadline=r.when(deadline)),
                 *_fit(r, request.explanation)]
        if goals:
            lines.append(r.gettext("Their goals, in their own words: %(goals)s", goals=goals))
        return Message(subject=r.gettext("%(name)s asks you to be their mentor", name=name),
                       lines=lines, facts=[(r.gettext("Answer by"), r.when(deadline))],
                       quote=request.message.strip(),
                       quote_by=r.gettext("%(name)s's note to you", name=name),
                       action=r.gettext("Answer the request"))
    return compose


def _lapse_prefix(request: MentorRequest) -> str:
    return f"request:{request.id}:lapsed:"


def request_lapsed(request: MentorRequest, now: datetime | None = None) -> int:
    """Both hear that the request lapsed, at its deadline: queued when it is asked (the
    deadline is known then) unless the deadline is further than PLAN_AHEAD (then the daily
    sweep queues it as it nears), and again, to the same keys, when it is found lapsed (for a
    request asked before these notices existed)."""
    if too_far(request.respond_by, now or utcnow()):
        return 0
    with links():
        program = _program_of(request)
        return sum(told(person, "request_lapsed", _lapsed(request, role),
                        key=f"{_lapse_prefix(request)}{role}", program=program,
                        destination=page(CHOOSE_A_MENTOR if role == "mentee"
                                         else ANSWER_REQUESTS),
                        send_after=request.respond_by)
                   for role, person in (("mentee", request.mentee), ("mentor", request.mentor)))


def _lapsed(request: MentorRequest, role: str) -> Compose:
    mentee, mentor, deadline = (request.mentee.display_name, request.mentor.display_name,
                                request.respond_by)

    def compose(r: Reader) -> Message:
        if role == "mentor":
            return Message(
                subject=r.gettext("The request from %(name)s has lapsed", name=mentee),
                lines=[r.gettext("You did not answer the request from %(name)s by %(deadline)s,"
                                 " so it has lapsed and they can ask another mentor. Nothing "
                                 "else is needed from you.", name=mentee,
                                 deadline=r.when(deadline))])
        return Message(
            subject=r.gettext("No answer from %(name)s: choose another mentor", name=mentor),
            lines=[r.gettext("%(name)s did not answer your request by %(deadline)s, so it has "
                             "lapsed. You can ask another of your recommended mentors now.",
                             name=mentor, deadline=r.when(deadline))],
            action=r.gettext("Choose a mentor"))
    return compose


def withdraw_lapse(request: MentorRequest) -> bool:
    """Cancel the lapse notices waiting for the deadline of an answered request. False when
    one has already gone out (or is going): for its members the request has lapsed."""
    prefix = _lapse_prefix(request)
    notify.cancel(prefix)
    gone = db.session.scalar(sa.select(Notification.id).where(
        Notification.dedupe_key.startswith(prefix, autoescape=True),
        Notification.status.in_((SENDING, SENT))).limit(1))
    return gone is None


def request_accepted(request: MentorRequest, pair: Pair) -> int:
    """The mentee hears that they have a mentor (with the mentor's profile) and what to do
    first; the notice a week before the pair's end is planned."""
    with links():
        program = _program_of(request)
        mentor_profile = intake.profile_for(program, request.mentor)
        compose = _accepted(request, mentor_profile)
        queued = int(told(request.mentee, "request_accepted", compose,
                          key=f"request:{request.id}:accepted", program=program,
                          destination=hub(pair)))
        return queued + plan_ending(pair)


def _accepted(request: MentorRequest, mentor_profile: Profile | None) -> Compose:
    name = request.mentor.display_name

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("%(name)s accepted: you have a mentor", name=name),
            lines=[r.gettext("%(name)s accepted your request and is now your mentor.",
                             name=name), _first_steps(r)],
            facts=mentor_facts(r, mentor_profile),
            quote=(mentor_profile.bio or "").strip() if mentor_profile else "",
            quote_by=r.gettext("%(name)s, in their own words", name=name),
            action=r.gettext("Open your workspace"))
    return compose


def request_declined(request: MentorRequest) -> int:
    """The mentee hears that they can ask someone else."""
    with links():
        name = request.mentor.display_name

        def compose(r: Reader) -> Message:
            return Message(
                subject=r.gettext("%(name)s cannot be your mentor", name=name),
                lines=[r.gettext("%(name)s declined your request. You can ask another of your "
                                 "recommended mentors now.", name=name)],
                action=r.gettext("Choose a mentor"))

        return int(told(request.mentee, "request_declined", compose,
                        key=f"request:{request.id}:declined", program=_program_of(request),
                        destination=page(CHOOSE_A_MENTOR)))
