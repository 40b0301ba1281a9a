"""A small, believable world to develop clients against: `flask --app wsgi seed-demo`.

Everything is made in one transaction, with pictures drawn by Pillow (no downloads). A database
that already has the demo users is left as it is, so a second run changes nothing.
"""

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from uzbekhub.accounts.models import Block, Contact, Location, Status, User
from uzbekhub.accounts.profile_services import PROFILE_PICTURES
from uzbekhub.accounts.users import new_user
from uzbekhub.chat.file_services import CHAT_FILES
from uzbekhub.chat.models import GROUP, MEMBER, OWNER, PRIVATE, ChatFile, Message, Room, RoomMember
from uzbekhub.chat.room_services import ROOM_PICTURES
from uzbekhub.common.db import new_uuid, utcnow
from uzbekhub.common.media import finish_request, keep_created_files, store
from uzbekhub.common.security import hash_password
from uzbekhub.extensions import db
from uzbekhub.posts.models import Post, PostComment, PostImage, PostLike, PostView
from uzbekhub.posts.services import IMAGE_FOLDER
from uzbekhub.stories.models import Story, StoryMark, StoryReaction, StoryView
from uzbekhub.stories.services import MEDIA_FOLDER

PASSWORD = "demo-password-2026"
DOMAIN = "demo.uzbekhub.uz"
TASHKENT = ("Tashkent", 41.2995, 69.2401)
SAMARKAND = ("Samarkand", 39.6542, 66.9597)


@dataclass(frozen=True)
class Person:
    name: str
    first: str
    last: str
    city: tuple | None
    bio: str = ""
    staff: bool = False
    private: bool = False

    @property
    def email(self) -> str:
        return f"{self.name}@{DOMAIN}"


RELATIONS = (
    "bekzod has jasur and dilnoza as contacts (jasur has him too); bekzod and dilnoza chat",
    "the group 'Friday plov' (owner bekzod, with jasur, timur, laziz) has history and a map image",
    "rustam has blocked laziz; madina is private (only sevara and bekzod, her contacts, see her)",
)

PEOPLE = (
    Person("aziza", "Aziza", "Karimova", TASHKENT, "Runs this place. Ask me anything.", staff=True),
    Person("bekzod", "Bekzod", "Usmonov", TASHKENT, "Backend developer, plov enthusiast."),
    Person("dilnoza", "Dilnoza", "Rashidova", SAMARKAND, "Guide at the Registan."),
    Person("jasur", "Jasur", "Tursunov", TASHKENT, "Photographer. Chorsu bazaar at dawn."),
    Person("kamola", "Kamola", "Yusupova", SAMARKAND, "Ceramics from Urgut."),
    Person("laziz", "Laziz", "Ergashev", TASHKENT, "Football on Sundays."),
    Person("madina", "Madina", "Alimova", None, "Keeps to herself.", private=True),
    Person("nodir", "Nodir", "Xolmatov", SAMARKAND, "Silk paper maker in Konigil."),
    Person("otabek", "Otabek", "Saidov", TASHKENT, "Metro fan: every station has a story."),
    Person("rustam", "Rustam", "Qodirov", TASHKENT, "Sells melons, opinions free."),
    Person("sevara", "Sevara", "Nazarova", SAMARKAND, "Student of Persian poetry."),
    Person("timur", "Timur", "Abdullaev", TASHKENT, "Cyclist, Chimgan most weekends."),
)

POSTS = (
    ("jasur", "Chorsu bazaar at 6 am, before the crowds.", 2),
    ("dilnoza", "The Registan after the rain: the tiles look new.", 1),
    ("bekzod", "Tashkent plov, Friday tradition at the Central Asian Plov Centre.", 1),
    ("kamola", "New bowls out of the kiln, blue and white as always.", 3),
    ("otabek", "Kosmonavtlar station. Look up.", 1),
    ("timur", "Chimgan ride: 70 km, one flat tyre, no regrets.", 1),
    ("nodir", "Mulberry bark becomes paper: day three of drying.", 2),
    ("madina", "A quiet corner of the old city.", 1),
    ("sevara", "Reading Navoi under the plane trees.", 0),
)
COMMENTS = (
    ("dilnoza", 0, "The light is perfect."),
    ("bekzod", 0, "I was there at 7, missed it!"),
    ("jasur", 1, "Which gate did you shoot from?"),
    ("laziz", 2, "Saving this for Friday."),
    ("kamola", 6, "Would love to visit the workshop."),
)
GROUP_HISTORY = (
    ("bekzod", "Salom everyone! Plov on Friday?"),
    ("jasur", "Count me in. I'll bring the camera."),
    ("timur", "Only if we ride there."),
    ("laziz", "Friday works. Same place as last time?"),
    ("bekzod", "Yes, 13:00. Here is the map."),
)
PRIVATE_HISTORY = (
    ("bekzod", "Hi Dilnoza, are you guiding on Saturday?"),
    ("dilnoza", "Yes, 10:00 at the Registan. How many people?"),
    ("bekzod", "Four of us, two kids."),
    ("dilnoza", "Perfect, see you there!"),
)

COLOURS = ((26, 115, 232), (0, 150, 136), (233, 30, 99), (255, 152, 0), (103, 58, 183))


def picture(seed: str, size=(800, 600)) -> bytes:
    """A JPEG of stripes and circles, the same for the same seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, rng.choice(COLOURS))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(20, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(COLOURS))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def world_exists() -> bool:
    return db.session.scalar(select(User.id).where(User.email == PEOPLE[0].email)) is not None


def seed() -> list[Person] | None:
    """Make the world and return its people; None (and nothing changed) if it is there already."""
    if world_exists():
        return None
    try:
        World().build()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        finish_request(succeeded=False)  # the pictures written so far
        raise
    keep_created_files()
    return list(PEOPLE)


class World:
    def __init__(self):
        self.now = utcnow()
        self.users: dict[str, User] = {}

    def ago(self, **delta) -> object:
        return self.now - timedelta(**delta)

    def build(self) -> None:
        self.people()
        self.relations()
        posts = self.posts()
        self.reactions_to(posts)
        self.stories()
        self.chats()

    def people(self) -> None:
        password_hash = hash_password(PASSWORD)  # one password for all: hashed once
        for n, person in enumerate(PEOPLE):
            user = new_user(
                person.email,
                None,
                first_name=person.first,
                last_name=person.last,
                bio=person.bio,
                is_active=True,
                is_staff=person.staff,
                is_private=person.private,
                phone=f"+99890{1000000 + n * 7919:07d}",
                date_joined=self.ago(days=60 - n),
                profile_picture=store(
                    picture(f"avatar-{person.name}", (256, 256)), PROFILE_PICTURES, "jpg"
                ),
            )
            user.username = person.name
            user.password_hash = password_hash
            if person.city is not None:
                city, lat, long = person.city
                user.location = Location(
                    lat=lat + n * 0.003,
                    long=long - n * 0.002,
                    country="Uzbekistan",
                    city=city,
                )
            db.session.add(user)
            self.users[person.name] = user
        db.session.flush()
        db.session.add(Status(user_id=self.users["jasur"].id, content="Out shooting"))
        db.session.add(Status(user_id=self.users["timur"].id, content="On the bike"))

    def relations(self) -> None:
        u = self.users
        for owner, contact, nikname in (
            ("bekzod", "jasur", "Jasur (camera)"),
            ("bekzod", "dilnoza", "Dilnoza guide"),
            ("jasur", "bekzod", ""),
            ("dilnoza", "kamola", "Kamola opa"),
            ("madina", "sevara", ""),
            ("madina", "bekzod", ""),
            ("timur", "laziz", ""),
        ):
            db.session.add(Contact(owner_id=u[owner].id, contact_id=u[contact].id, nikname=nikname))
        db.session.add(Block(user_id=u["rustam"].id, blocked_user_id=u["laziz"].id))

    def posts(self) -> list[Post]:
        posts = []
        for n, (owner, content, images) in enumerate(POSTS):
            post = Post(
                owner_id=self.users[owner].id,
                content=content,
                created_at=self.ago(hours=50 - 5 * n),
            )
            post.images = [
                PostImage(image=store(picture(f"post-{n}-{i}"), IMAGE_FOLDER, "jpg"), position=i)
                for i in range(images)
            ]
            db.session.add(post)
            posts.append(post)
        db.session.flush()
        return posts

    def reactions_to(self, posts: list[Post]) -> None:
        u = self.users
        visible = [p for p in posts if p.owner_id != u["madina"].id]
        for n, post in enumerate(visible):
            for name in ("bekzod", "dilnoza", "jasur", "kamola", "timur")[: 2 + n % 4]:
                if u[name].id != post.owner_id:
                    db.session.add(PostLike(owner_id=u[name].id, post_id=post.id))
            for name in ("laziz", "otabek", "sevara", "aziza"):
                db.session.add(PostView(owner_id=u[name].id, post_id=post.id))
        for name, index, text in COMMENTS:
            db.session.add(PostComment(owner_id=u[name].id, post_id=posts[index].id, comment=text))
        db.session.flush()
        first = db.session.scalar(select(PostComment).where(PostComment.post_id == posts[0].id))
        db.session.add(
            PostComment(
                owner_id=u["jasur"].id,
                post_id=posts[0].id,
                comment="Thank you! Come at 6 next time.",
                reply_to_id=first.id,
            )
        )

    def stories(self) -> None:
        u = self.users
        for n, (owner, caption, audience, hours_ago, viewers) in enumerate(
            (
                (
                    "jasur",
                    "Morning light on Amir Temur square",
                    "public",
                    2,
                    ("bekzod", "dilnoza", "timur"),
                ),
                ("dilnoza", "Tour group of the day", "contact", 5, ("kamola",)),
                ("kamola", "Glazing day", "marked", 1, ("dilnoza",)),
                ("timur", "Top of Chimgan", "public", 30, ("laziz", "bekzod")),
                ("bekzod", "Last week's plov", "public", 200, ("jasur",)),
            )
        ):
            story = Story(
                owner_id=u[owner].id,
                media=store(picture(f"story-{n}", (540, 960)), MEDIA_FOLDER, "jpg"),
                caption=caption,
                audience=audience,
                created_at=self.ago(hours=hours_ago),
                updated_at=self.ago(hours=hours_ago),
            )
            if audience == "marked":
                story.marks = [StoryMark(user_id=u["dilnoza"].id)]
            db.session.add(story)
            db.session.flush()
            for m, viewer in enumerate(viewers):
                seen = self.ago(hours=hours_ago, minutes=-10 * (m + 1))
                db.session.add(StoryView(story_id=story.id, viewer_id=u[viewer].id, viewed_at=seen))
                if m % 2 == 0:
                    db.session.add(
                        StoryReaction(
                            story_id=story.id, user_id=u[viewer].id, reaction="🔥", reacted_at=seen
                        )
                    )

    def chats(self) -> None:
        u = self.users
        low, high = sorted((u["bekzod"].id, u["dilnoza"].id))
        private = Room(
            id=new_uuid(),
            room_type=PRIVATE,
            private_low_id=low,
            private_high_id=high,
            created_at=self.ago(days=3),
        )
        self.members(private, [("bekzod", MEMBER), ("dilnoza", MEMBER)])
        self.history(private, PRIVATE_HISTORY, start=self.ago(days=2))

        group = Room(
            id=new_uuid(),
            room_type=GROUP,
            name="Friday plov",
            username="friday_plov",
            description="Who comes, who brings what.",
            profile_pic=store(picture("room-friday-plov", (256, 256)), ROOM_PICTURES, "jpg"),
            created_at=self.ago(days=10),
        )
        self.members(
            group, [("bekzod", OWNER), ("jasur", MEMBER), ("timur", MEMBER), ("laziz", MEMBER)]
        )
        data = picture("map-to-the-plov-centre")
        digest = hashlib.sha256(data).hexdigest()
        map_file = ChatFile(
            uploader_id=u["bekzod"].id,
            unique_id=digest,
            file=store(data, CHAT_FILES, "jpg", name=digest),
            file_type="image",
            file_size=len(data),
            is_temporary=False,
            uploaded_at=self.ago(hours=20),
        )
        self.history(group, GROUP_HISTORY, start=self.ago(hours=20), last_files=[map_file])

    def members(self, room: Room, roles: list[tuple[str, str]]) -> None:
        db.session.add(room)
        for name, role in roles:
            db.session.add(
                RoomMember(
                    room=room,
                    user=self.users[name],
                    role=role,
                    joined_at=room.created_at,
                    last_read_at=self.now,
                )
            )
        db.session.flush()  # the room's row before its messages (they name it by id)

    def history(self, room: Room, lines, start, last_files=()) -> None:
        for n, (name, text) in enumerate(lines):
            at = start + timedelta(minutes=7 * n)
            message = Message(
                room_id=room.id,
                sender_id=self.users[name].id,
                text=text,
                created_at=at,
                update_at=at,
                attachments=list(last_files) if n == len(lines) - 1 else [],
            )
            db.session.add(message)
        room.message_count = len(lines)
