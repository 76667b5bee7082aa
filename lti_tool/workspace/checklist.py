"""The getting-started checklist: what each member does before and around the first meeting.
Pure content: the manual items carry their tips; the automatic ones are ticked by what the pair
has done (`services.checklist`)."""

from dataclasses import dataclass

from lti_tool.i18n import N_


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    intro: str
    tips: tuple[str, ...] = ()
    automatic: bool = False  # ticked by the pair's own progress, not by hand


TECH = Item(
    "tech", N_("Check your set-up before the first call"),
    N_("Ten minutes now saves the first quarter of an hour of your first meeting."),
    (
        N_("Open the meeting link a few minutes early, or try a test call, and check that the "
        "other side can see and hear you."),
        N_("Use headphones or earbuds with a microphone: they stop the echo and keep the "
        "conversation private."),
        N_("Sit near the Wi-Fi router or use a cable; pause downloads, streaming and backups "
        "during the call."),
        N_("Plug in your laptop or phone, and install updates the day before, not five minutes "
        "before."),
        N_("Agree what happens if the video fails: after two or three minutes of trouble, switch "
        "to the fallback channel in your agreement (a phone call usually works)."),
    ))

ETIQUETTE = Item(
    "etiquette", N_("Video etiquette"),
    N_("Video comes closest to meeting in person: you see each other's reactions, which audio "
    "and e-mail lose. A few habits make it work."),
    (
        N_("Camera on, at eye level, about an arm's length away. Look into the camera now and "
        "then when you speak, not only at the screen."),
        N_("Light your face from the front: a window or a lamp behind the screen, never behind "
        "you."),
        N_("Choose a quiet place with a plain, tidy background, or blur it. Tell the people you "
        "live with that you are in a call."),
        N_("Mute when you are not speaking if there is noise around you, and silence "
        "notifications on your computer and phone."),
        N_("Close apps and tabs you do not need, and give the call your full attention, as you "
        "would across a table."),
        N_("Dress as you would for a meeting at work, start and end on time, and if you run late "
        "send a message before the start."),
    ))

SECURITY = Item(
    "security", N_("Keep each other's data safe"),
    N_("What you share online can travel further than you meant it to."),
    (
        N_("Never share passwords, sign-in codes or access to your accounts, not even to show "
        "something quickly."),
        N_("Keep personal data out of shared documents and chats: ID or account numbers, home "
        "addresses, health or salary details, and anything about other people."),
        N_("Before you share your screen, close what the other person should not see: e-mail, "
        "other chats, confidential files."),
        N_("Use the meeting links Pairwise and your program give you. Treat unexpected links and "
        "attachments with care, even when they seem to come from each other, and check "
        "another way when in doubt."),
        N_("Ask before you record a call or forward the other person's messages."),
    ))

AGREEMENT = Item(
    "agreement", N_("Sign your mentoring agreement"),
    N_("Agree how often you meet, how you keep in touch and what you each want from the "
    "relationship. Ticked when you have both accepted the same version."), automatic=True)

FIRST_MEETING = Item(
    "first_meeting", N_("Book your first meeting"),
    N_("Ticked once a meeting is scheduled. A time that can repeat every week or two makes a "
    "steady routine."), automatic=True)

FIRST_GOAL = Item(
    "first_goal", N_("Set a first goal"),
    N_("Ticked once your development plan has a goal: what you want to reach, and how you will "
    "know you have."), automatic=True)

ITEMS = (TECH, ETIQUETTE, SECURITY, AGREEMENT, FIRST_MEETING, FIRST_GOAL)
MANUAL = frozenset(item.key for item in ITEMS if not item.automatic)
