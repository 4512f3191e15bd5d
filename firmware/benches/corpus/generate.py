#!/usr/bin/env python3
"""Writes the keyboard benchmark's corpora, deterministically (fixed seed).

    python3 firmware/benches/corpus/generate.py

app_passwords.txt: 1,000 app passwords as the gateway makes them: 16 letters a-z, uniform.
emails.txt: 500 email addresses in the shapes people use: first.last, initials, digits,
underscores and hyphens, plus tags, on common and uncommon domains.
"""
import pathlib
import random
import string

HERE = pathlib.Path(__file__).parent
rng = random.Random(20261124)

FIRST = """alex anna bram charlotte daan emma finn fleur gijs hanna ivo jasmijn jesse julia kevin
lieke lucas maaike mark noor olivia pieter quinten rosa sander sophie tim tess vera wouter
yara zoe james mary john patricia robert jennifer michael linda david elizabeth william susan
richard jessica joseph sarah thomas karen chris nancy daniel lisa matthew betty anthony sandra
mohammed fatima ahmed aisha wei li jun mei hiroshi yuki carlos maria jose lucia pierre camille
lukas lena mateo valentina noah mila sem lotte thijs evi ruben nina""".split()
LAST = """jansen devries bakker visser smit meijer demulder bos vos peters hendriks vandijk
dekker brouwer dewit dijkstra smits degraaf vanderberg kok jacobs vanleeuwen schouten
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez
gonzalez wilson anderson taylor moore jackson martin lee thompson white harris clark lewis
nguyen chen wang kim tanaka suzuki muller schmidt schneider fischer weber dubois moreau""".split()
DOMAINS = [
    ("outlook.com", 22), ("hotmail.com", 18), ("live.com", 8), ("gmail.com", 14),
    ("yahoo.com", 5), ("icloud.com", 4), ("live.nl", 4), ("hotmail.nl", 4), ("ziggo.nl", 3),
    ("kpnmail.nl", 3), ("xs4all.nl", 2), ("planet.nl", 1), ("telenet.be", 2), ("outlook.be", 1),
    ("hotmail.co.uk", 2), ("btinternet.com", 1), ("proton.me", 2), ("gmx.de", 1), ("web.de", 1),
    ("msn.com", 1), ("mail.com", 1), ("fastmail.fm", 1), ("student.uva.nl", 1), ("tudelft.nl", 1),
]


def local_part():
    first, last = rng.choice(FIRST), rng.choice(LAST)
    year = str(rng.randint(1960, 2012))
    shapes = [
        (f"{first}.{last}", 20),
        (f"{first}{last}", 10),
        (f"{first[0]}.{last}", 8),
        (f"{first[0]}{last}", 6),
        (f"{first}_{last}", 5),
        (f"{first}-{last}", 3),
        (f"{first}{rng.randint(1, 99)}", 10),
        (f"{first}.{last}{year[2:]}", 6),
        (f"{last}.{first}", 3),
        (f"{first}{year}", 6),
        (f"{first}+games", 2),
        (f"{first}_{rng.randint(100, 9999)}", 4),
        (f"{first}{last[0]}", 4),
        (f"{rng.choice(['gamer', 'pro', 'the', 'mr', 'xx'])}{first}{rng.randint(1, 999)}", 5),
    ]
    return rng.choices([s for s, _ in shapes], [w for _, w in shapes])[0]


def main():
    passwords = ["".join(rng.choice(string.ascii_lowercase) for _ in range(16)) for _ in range(1000)]
    (HERE / "app_passwords.txt").write_text("\n".join(passwords) + "\n")
    emails = []
    while len(emails) < 500:
        domain = rng.choices([d for d, _ in DOMAINS], [w for _, w in DOMAINS])[0]
        address = f"{local_part()}@{domain}"
        if address not in emails:
            emails.append(address)
    (HERE / "emails.txt").write_text("\n".join(emails) + "\n")


if __name__ == "__main__":
    main()
