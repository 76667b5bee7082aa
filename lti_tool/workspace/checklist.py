"""The getting-started checklist: what each member does before and around the first meeting.
Pure content: the manual items carry their tips; the automatic ones are ticked by what the pair
has done (`services.checklist`)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    intro: str
    tips: tuple[str, ...] = ()
    automatic: bool = False  # ticked by the pair's own progress, not by hand


TECH = Item(
    "tech", "Check your set-up before the first call",
    "Ten minutes now saves the first quarter of an hour of your first meeting.",
    (
        "Open the meeting link a few minutes early, or try a test call, and check that the "
        "other side can see and hear you.",
        "Use headphones or earbuds with a microphone: they stop the echo and keep the "
        "conversation private.",
        "Sit near the Wi-Fi router or use a cable; pause downloads, streaming and backups "
        "during the call.",
        "Plug in your laptop or phone, and install updates the day before, not five minutes "
        "before.",
        "Agree what happens if the video fails: after two or three minutes of trouble, switch "
        "to the fallback channel in your agreement (a phone call usually works).",
    ))

ETIQUETTE = Item(
    "etiquette", "Video etiquette",
    "Video comes closest to meeting in person: you see each other's reactions, which audio "
    "and e-mail lose. A few habits make it work.",
    (
        "Camera on, at eye level, about an arm's length away. Look into the camera now and "
        "then when you speak, not only at the screen.",
        "Light your face from the front: a window or a lamp behind the screen, never behind "
        "you.",
        "Choose a quiet place with a plain, tidy background, or blur it. Tell the people you "
        "live with that you are in a call.",
        "Mute when you are not speaking if there is noise around you, and silence "
        "notifications on your computer and phone.",
        "Close apps and tabs you do not need, and give the call your full attention, as you "
        "would across a table.",
        "Dress as you would for a meeting at work, start and end on time, and if you run late "
        "send a message before the start.",
    ))

SECURITY = Item(
    "security", "Keep each other's data safe",
    "What you share online can travel further than you meant it to.",
    (
        "Never share passwords, sign-in codes or access to your accounts, not even to show "
        "something quickly.",
        "Keep personal data out of shared documents and chats: ID or account numbers, home "
        "addresses, health or salary details, and anything about other people.",
        "Before you share your screen, close what the other person should not see: e-mail, "
        "other chats, confidential files.",
        "Use the meeting links Pairwise and your program give you. Treat unexpected links and "
        "attachments with care, even when they seem to come from each other, and check "
        "another way when in doubt.",
        "Ask before you record a call or forward the other person's messages.",
    ))

AGREEMENT = Item(
    "agreement", "Sign your mentoring agreement",
    "Agree how often you meet, how you keep in touch and what you each want from the "
    "relationship. Ticked when you have both accepted the same version.", automatic=True)

FIRST_MEETING = Item(
    "first_meeting", "Book your first meeting",
    "Ticked once a meeting is scheduled. A time that can repeat every week or two makes a "
    "steady routine.", automatic=True)

FIRST_GOAL = Item(
    "first_goal", "Set a first goal",
    "Ticked once your development plan has a goal: what you want to reach, and how you will "
    "know you have.", automatic=True)

ITEMS = (TECH, ETIQUETTE, SECURITY, AGREEMENT, FIRST_MEETING, FIRST_GOAL)
MANUAL = frozenset(item.key for item in ITEMS if not item.automatic)
