#!/usr/bin/env python3
"""Generate the privacy router's labelled evaluation set.

Writes eval.jsonl: one object per line, {"id", "category", "text",
"spans": [{"start", "end", "label"}]}, offsets in Unicode code points
(Python str indexes), end exclusive. Deterministic (fixed seed): run
`python3 testdata/privacy/generate.py` to regenerate the committed file.

Texts come from varied templates (prompts, chat logs, support tickets, code
and config with secrets, logs and stack traces, forms) filled from name and
address lists of many cultures and from value generators that produce
valid identifiers (Luhn card numbers, mod-97 IBANs, SSN-rule numbers, real
phone-number plans). A share of texts carry only confusers (versions,
order numbers, non-birth dates, URLs without credentials, placeholders).
"""
import base64
import json
import random
import re
import string
import sys
from pathlib import Path

R = random.Random(20261124)

FIRST = [
    "James", "Mary", "Olivia", "Liam", "Sophia", "Noah", "Emma", "Ethan", "Ava", "Lucas",
    "José", "María", "Alejandro", "Lucía", "Carlos", "Valentina", "João", "Ana", "Thiago", "Beatriz",
    "Wei", "Li", "Xiaoming", "Mei", "Jian", "Hui", "Yuki", "Haruto", "Sakura", "Kenji", "Aiko",
    "Priya", "Arjun", "Ananya", "Rahul", "Deepika", "Vikram", "Lakshmi", "Sanjay",
    "Mohammed", "Fatima", "Omar", "Aisha", "Youssef", "Layla", "Hassan", "Zainab",
    "Chinedu", "Ngozi", "Oluwaseun", "Amara", "Kwame", "Abena", "Tendai", "Nia",
    "Dmitri", "Olga", "Ivan", "Natalia", "Sergei", "Svetlana", "Łukasz", "Agnieszka", "Krzysztof",
    "Hans", "Jürgen", "Anneliese", "Klaus", "Lena", "François", "Amélie", "Étienne", "Chloé",
    "Giulia", "Matteo", "Søren", "Øyvind", "Ingrid", "Björn", "Zoë", "Nguyễn", "Minh", "Thảo",
    "Ji-woo", "Min-jun", "Seo-yeon", "Mehmet", "Ayşe", "Emre", "Zeynep", "Kofi", "Aroha", "Tāne",
    "Siobhán", "Niamh", "Seán", "Dvora", "Yosef", "Ravi", "Mónica", "Héctor", "Camille",
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Martinez", "Rodriguez", "Hernández",
    "Silva", "Santos", "Oliveira", "Pereira", "Wang", "Li", "Zhang", "Chen", "Liu", "Tanaka",
    "Suzuki", "Takahashi", "Yamamoto", "Sharma", "Patel", "Iyer", "Reddy", "Gupta", "Nair",
    "Al-Farsi", "Haddad", "Khan", "Rahman", "Abdullah", "Okafor", "Adeyemi", "Mensah", "Mwangi",
    "Ivanov", "Petrova", "Kowalski", "Nowak", "Wiśniewski", "Müller", "Schmidt", "Schneider",
    "Fischer", "Dubois", "Lefèvre", "Moreau", "Rossi", "Bianchi", "Esposito", "Jensen", "Hansen",
    "Lindqvist", "Nguyen", "Tran", "Pham", "Kim", "Park", "Choi", "Yılmaz", "Kaya", "Demir",
    "O'Brien", "Murphy", "Kelly", "Cohen", "Levi", "Ngata", "van der Berg", "de Vries", "Novák",
]
CITIES = [
    "San Francisco", "New York", "Chicago", "Austin", "Seattle", "Toronto", "Vancouver", "London",
    "Manchester", "Dublin", "Paris", "Lyon", "Berlin", "München", "Hamburg", "Zürich", "Madrid",
    "Barcelona", "Lisbon", "São Paulo", "Rio de Janeiro", "Buenos Aires", "Mexico City", "Bogotá",
    "Lagos", "Nairobi", "Accra", "Cairo", "Casablanca", "Dubai", "Istanbul", "Mumbai", "Bengaluru",
    "Delhi", "Chennai", "Beijing", "Shanghai", "Shenzhen", "Tokyo", "Osaka", "Seoul", "Hanoi",
    "Ho Chi Minh City", "Singapore", "Jakarta", "Sydney", "Melbourne", "Auckland", "Kraków",
    "Warsaw", "Prague", "Vienna", "Stockholm", "Oslo", "København", "Helsinki", "Reykjavík",
]
STREETS = [
    "{n} Market Street, San Francisco, CA 94103", "{n} Elm Avenue, Springfield, IL 62704",
    "{n} Baker Street, London NW1 6XE", "{n} Rue de Rivoli, 75001 Paris",
    "Hauptstraße {n}, 10115 Berlin", "Calle de Alcalá {n}, 28014 Madrid",
    "Rua Augusta {n}, São Paulo - SP, 01305-000", "{n} MG Road, Bengaluru 560001",
    "{n}-{m} Shibuya, Tokyo 150-0002", "Via Roma {n}, 00184 Roma", "{n} King Street West, Toronto, ON M5H 1A1",
    "ul. Floriańska {n}, 31-019 Kraków", "{n} Collins Street, Melbourne VIC 3000",
    "{n} Orchard Road, Singapore 238823", "Bahnhofstrasse {n}, 8001 Zürich",
    "{n} Nguyễn Huệ, Quận 1, Hồ Chí Minh", "{n} Admiralty Way, Lekki, Lagos",
    "{n} Pine Street, Seattle, WA 98101", "{n} Congress Ave, Austin, TX 78701",
]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.jp", "proton.me", "acme-corp.com", "fastmail.fm",
           "example.org", "uni-heidelberg.de", "hospital.org.uk", "startup.io", "web.de", "naver.com"]


def ascii_fold(s):
    table = str.maketrans("áàâãäåçéèêëíìîïñóòôõöøúùûüýÿłśźżćńšžčřěůőűğışÀÁÉÈÖØÜÇŁŚŻ", "aaaaaaceeeeiiiinoooooouuuuyylszzcnszcreuougisAAEEOOUCLSZ")
    s = s.translate(table)
    return re.sub(r"[^A-Za-z0-9.]", "", s.replace("ễ", "e").replace("ả", "a").replace("ā", "a"))


def person():
    return f"{R.choice(FIRST)} {R.choice(LAST)}"


def first_name():
    return R.choice(FIRST)


def location():
    if R.random() < 0.55:
        return R.choice(STREETS).format(n=R.randint(1, 980), m=R.randint(1, 30))
    return R.choice(CITIES)


def email(name=None):
    name = name or person()
    f, *rest = name.split(" ")
    l = rest[-1] if rest else "x"
    local = R.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}{R.randint(1, 99)}", f"{l}.{f}"]).lower()
    return f"{ascii_fold(local) or 'user'}@{R.choice(DOMAINS)}"


def phone():
    kind = R.randrange(8)
    if kind == 0:
        return f"({R.choice([212, 415, 646, 312, 617, 206, 512])}) {R.randint(201, 989)}-{R.randint(1000, 9999)}"
    if kind == 1:
        return f"+1 {R.choice([202, 303, 404, 718, 213, 305])}-{R.randint(201, 989)}-{R.randint(1000, 9999)}"
    if kind == 2:
        return f"+44 20 7{R.randint(100, 999)} {R.randint(1000, 9999)}"
    if kind == 3:
        return f"+49 30 {R.randint(1000000, 9999999)}"
    if kind == 4:
        return f"+33 1 {R.randint(10, 99)} {R.randint(10, 99)} {R.randint(10, 99)} {R.randint(10, 99)}"
    if kind == 5:
        return f"+91 98{R.randint(100, 999)} {R.randint(10000, 99999)}"
    if kind == 6:
        return f"+81 3-{R.randint(1000, 9999)}-{R.randint(1000, 9999)}"
    return f"{R.choice([415, 650, 408, 917, 773])}.{R.randint(201, 989)}.{R.randint(1000, 9999)}"


def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(R.randrange(10))
    for check in range(10):
        ds = digits + [check]
        total = 0
        for i, d in enumerate(reversed(ds)):
            if i % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return "".join(map(str, ds))
    raise AssertionError


def credit_card():
    prefix, length = R.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16), ("3530", 16)])
    n = luhn_complete(prefix, length)
    style = R.randrange(3)
    if length == 15:
        return f"{n[:4]} {n[4:10]} {n[10:]}" if style else n
    if style == 0:
        return n
    sep = " " if style == 1 else "-"
    return sep.join(n[i:i + 4] for i in range(0, 16, 4))


def ssn(style=None):
    while True:
        a, g, s = R.randint(1, 899), R.randint(1, 99), R.randint(1, 9999)
        if a != 666 and (a, g, s) != (123, 45, 6789):
            break
    return f"{a:03d}-{g:02d}-{s:04d}"


def itin():
    return f"9{R.randint(0, 99):02d}-{R.choice([70, 71, 75, 80, 88, 90, 94, 99])}-{R.randint(1000, 9999)}"


def iban():
    country, bban_fn, length = R.choice([
        ("DE", lambda: "".join(R.choice(string.digits) for _ in range(18)), 22),
        ("GB", lambda: "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + "".join(R.choice(string.digits) for _ in range(14)), 22),
        ("FR", lambda: "".join(R.choice(string.digits) for _ in range(23)), 27),
        ("ES", lambda: "".join(R.choice(string.digits) for _ in range(20)), 24),
        ("NL", lambda: "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + "".join(R.choice(string.digits) for _ in range(10)), 18),
        ("CH", lambda: "".join(R.choice(string.digits) for _ in range(17)), 21),
        ("IT", lambda: R.choice(string.ascii_uppercase) + "".join(R.choice(string.digits) for _ in range(22)), 27),
    ])
    bban = bban_fn()
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(num) % 97
    compact = f"{country}{check:02d}{bban}"
    assert len(compact) == length
    if R.random() < 0.5:
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
    return compact


def ipv4():
    return R.choice([f"10.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}",
                     f"192.168.{R.randint(0, 255)}.{R.randint(1, 254)}",
                     f"{R.randint(11, 223)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"])


def ipv6():
    groups = [f"{R.randint(0, 65535):x}" for _ in range(8)]
    if R.random() < 0.5:
        return "2001:db8::" + ":".join(groups[:3])
    return ":".join(groups)


def ip():
    return ipv4() if R.random() < 0.8 else ipv6()


def mac():
    sep = R.choice([":", "-"])
    return sep.join(f"{R.randint(0, 255):02X}" for _ in range(6))


def rand_str(n, alphabet=string.ascii_letters + string.digits):
    return "".join(R.choice(alphabet) for _ in range(n))


def api_key():
    kind = R.randrange(11)
    return [
        lambda: "AKIA" + rand_str(16, string.ascii_uppercase + string.digits),
        lambda: "ghp_" + rand_str(36),
        lambda: "github_pat_" + rand_str(22) + "_" + rand_str(59),
        lambda: "glpat-" + rand_str(20),
        lambda: "xoxb-" + str(R.randint(10**11, 10**12)) + "-" + str(R.randint(10**12, 10**13)) + "-" + rand_str(24),
        lambda: "sk_live_" + rand_str(24),
        lambda: "AIza" + rand_str(35, string.ascii_letters + string.digits + "_-"),
        lambda: "sk-proj-" + rand_str(48, string.ascii_letters + string.digits + "_-"),
        lambda: "sk-ant-api03-" + rand_str(93, string.ascii_letters + string.digits + "_-"),
        lambda: "npm_" + rand_str(36),
        lambda: "pypi-AgEIcHlwaS5vcmc" + rand_str(60, string.ascii_letters + string.digits + "_-"),
    ][kind]()


def password():
    return R.choice([rand_str(R.randint(10, 20), string.ascii_letters + string.digits + "!#%&*+?"),
                     R.choice(["Summer", "Winter", "Dragon", "Monkey", "Sunshine"]) + str(R.randint(1990, 2030)) + R.choice("!#$"),
                     rand_str(24)])


def aws_secret():
    return rand_str(40, string.ascii_letters + string.digits + "/+")


def jwt():
    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")
    header = b64({"alg": R.choice(["HS256", "RS256"]), "typ": "JWT"})
    payload = b64({"sub": str(R.randint(1, 10**6)), "name": "x", "iat": 1700000000 + R.randint(0, 10**6)})
    return f"{header}.{payload}.{rand_str(43, string.ascii_letters + string.digits + '_-')}"


def pem():
    kind = R.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = "\n".join(rand_str(64, string.ascii_letters + string.digits + "+/") for _ in range(R.randint(3, 8)))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


def db_url():
    scheme = R.choice(["postgres", "postgresql", "mysql", "mongodb+srv", "redis", "amqp"])
    return f"{scheme}://{R.choice(['app', 'admin', 'svc_user', 'root'])}:{rand_str(14)}@{R.choice(['db.internal', 'cluster0.ab12c.mongodb.net', '10.0.3.7', 'cache.prod.local'])}:{R.choice([5432, 3306, 6379, 27017, 5672])}/{R.choice(['app', 'main', 'orders'])}"


def cred_url():
    return f"https://{R.choice(['deploy', 'bob', 'ci-bot'])}:{rand_str(12)}@{R.choice(['git.acme-corp.com', 'registry.example.net', 'ftp.partner.io'])}/{R.choice(['repo.git', 'files', 'api/v1'])}"


def azure():
    return f"DefaultEndpointsProtocol=https;AccountName={rand_str(10, string.ascii_lowercase)};AccountKey={rand_str(86)}==;EndpointSuffix=core.windows.net"


def dob():
    y, m, d = R.randint(1940, 2005), R.randint(1, 12), R.randint(1, 28)
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    return R.choice([f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d} {months[m - 1]} {y}", f"{months[m - 1]} {d}, {y}", f"{d:02d}.{m:02d}.{y}"])


def passport():
    return R.choice([str(R.randint(100000000, 999999999)), R.choice(string.ascii_uppercase) + str(R.randint(10000000, 99999999))])


def driver_license():
    return R.choice([R.choice(string.ascii_uppercase) + str(R.randint(1000000, 9999999)), str(R.randint(10000000, 999999999)),
                     R.choice(string.ascii_uppercase) + str(R.randint(100000000000, 999999999999))])


GEN = {
    "PERSON": person, "FIRST": first_name, "LOCATION": location, "EMAIL_ADDRESS": email, "PHONE_NUMBER": phone,
    "CREDIT_CARD": credit_card, "US_SSN": ssn, "US_ITIN": itin, "IBAN_CODE": iban, "IP_ADDRESS": ip,
    "IPV4": ipv4, "MAC_ADDRESS": mac, "API_KEY": api_key, "PASSWORD": password, "AWS_SECRET": aws_secret,
    "JWT": jwt, "PRIVATE_KEY": pem, "DB_URL": db_url, "CRED_URL": cred_url, "AZURE": azure, "DOB": dob,
    "US_PASSPORT": passport, "US_DRIVER_LICENSE": driver_license, "AGE": lambda: str(R.randint(18, 89)),
}
# Marker -> gold label.
LABEL = {"FIRST": "PERSON", "IPV4": "IP_ADDRESS", "PASSWORD": "SECRET", "AWS_SECRET": "SECRET",
         "DB_URL": "SECRET", "CRED_URL": "URL", "AZURE": "SECRET", "DOB": "DATE_TIME"}


def fill(template):
    """Replace {MARKER} with generated values; return text and spans."""
    out, spans, pos = [], [], 0
    memo = {}
    unescape = lambda lit: lit.replace("{{", "{").replace("}}", "}")
    for m in re.finditer(r"(?<!\{)\{([A-Z_0-9]+)(?:#(\d))?\}(?!\})", template):
        out.append(unescape(template[pos:m.start()]))
        marker, slot = m.group(1), m.group(2)
        key = (marker, slot)
        if slot and key in memo:
            value = memo[key]
        else:
            value = GEN[marker]()
            if slot:
                memo[key] = value
        start = sum(len(s) for s in out)
        out.append(value)
        spans.append({"start": start, "end": start + len(value), "label": LABEL.get(marker, marker)})
        pos = m.end()
    out.append(unescape(template[pos:]))
    return "".join(out), spans


PROMPTS = [
    "Draft a polite follow-up email to {PERSON} ({EMAIL_ADDRESS}) about the delayed shipment.",
    "Summarize this note: {PERSON} called from {PHONE_NUMBER} and asked us to update her address to {LOCATION}.",
    "Can you translate this into French? 'Dear {PERSON}, your appointment in {LOCATION} is confirmed.'",
    "Write a reference letter for {PERSON}, who worked with me in {LOCATION} for three years.",
    "My name is {PERSON} and my card {CREDIT_CARD} was declined twice today. What should I tell the bank?",
    "Help me fill this form. Name: {PERSON}. SSN: {US_SSN}. Date of birth: {DOB}. Phone: {PHONE_NUMBER}.",
    "I need to wire money to {PERSON}; her IBAN is {IBAN_CODE}. Is the format right?",
    "Rewrite this more formally: hey {FIRST}, ping me at {EMAIL_ADDRESS} or {PHONE_NUMBER} when you land in {LOCATION}.",
    "Our server at {IPV4} keeps dropping connections from {IP_ADDRESS}. What could cause that?",
    "Explain why this fails: curl -H 'Authorization: Bearer {JWT}' https://api.example.com/v1/me",
    "Why does my script fail with this config? DATABASE_URL={DB_URL}",
    "Plan a 3-day trip to {LOCATION} for {PERSON} and {PERSON}.",
    "Tell {FIRST} that the contract for {PERSON} was sent to {EMAIL_ADDRESS}.",
    "I was born on {DOB} in {LOCATION}. What is my zodiac sign?",
    "Patient {PERSON}, DOB {DOB}, lives at {LOCATION}; summarize the discharge notes for the GP.",
    "The tenant {PERSON} (passport {US_PASSPORT}) moves into {LOCATION} next month; draft the welcome letter.",
    "Check this: my driver's license number is {US_DRIVER_LICENSE} and it expires soon. How do I renew it in Texas?",
    "Please use my ITIN {US_ITIN} on the W-7 follow-up letter to {PERSON}.",
    "Is this key still valid? {API_KEY}",
    "Debug: requests to the device with MAC {MAC_ADDRESS} at {IPV4} time out.",
    "I'm {AGE} years old and live in {LOCATION}. Which health plan fits me?",
    "Compose a birthday message for {FIRST}, who turns {AGE} on Friday.",
    "Forward the invoice to {EMAIL_ADDRESS} and cc {EMAIL_ADDRESS}, thanks.",
    "Push is failing, remote is {CRED_URL} — what's wrong?",
    "Set up an email from {PERSON} <{EMAIL_ADDRESS}> to the team in {LOCATION} announcing the offsite.",
]
CHATS = [
    "User: hi, this is {PERSON}\nAssistant: Hello! How can I help?\nUser: my account email is {EMAIL_ADDRESS} and I can't log in\nAssistant: I can help with that.",
    "User: can you call me back at {PHONE_NUMBER}?\nAssistant: Sure, what is it about?\nUser: the order for {PERSON} in {LOCATION}",
    "[10:42] {FIRST}: did you get the file?\n[10:43] {FIRST}: yes, sending the card number now: {CREDIT_CARD}\n[10:44] {FIRST}: thx",
    "user> my ssn is {US_SSN}, why was the tax return rejected?\nbot> I can't see your records, but common reasons include...",
    "{FIRST}: meet at {LOCATION} at 7?\n{FIRST}: ok! my new number is {PHONE_NUMBER}",
    "Customer: I moved to {LOCATION}.\nAgent: Thanks {FIRST}, I updated it. Anything else?\nCustomer: please also change my email to {EMAIL_ADDRESS}.",
    "User: here is the .env, why does it crash?\nSTRIPE_KEY={API_KEY}\nDB_PASSWORD={PASSWORD}\nAssistant: Let's look at it.",
    "- {PERSON} joined the call\n- {PERSON} joined the call\n{FIRST}: can everyone see my screen?",
]
TICKETS = [
    "Ticket #{n}\nCustomer: {PERSON}\nEmail: {EMAIL_ADDRESS}\nPhone: {PHONE_NUMBER}\nIssue: charged twice on card {CREDIT_CARD}.",
    "Subject: Refund request\nFrom: {PERSON} <{EMAIL_ADDRESS}>\nShipping address: {LOCATION}\nOrder {n} arrived damaged.",
    "Case {n} - priority high\nReporter: {PERSON}\nCallback: {PHONE_NUMBER}\nThe router at {IPV4} reboots every hour.",
    "Support chat transcript\nName: {PERSON}\nDOB: {DOB}\nMember ID confirmed. Caller asked to update bank account to {IBAN_CODE}.",
    "Escalation: {PERSON} from {LOCATION} says her SSN {US_SSN} appears on another customer's statement.",
    "Ticket {n}: user {EMAIL_ADDRESS} pasted their token {API_KEY} in the public forum; please revoke.",
    "New hire form\nFull name: {PERSON}\nAddress: {LOCATION}\nPassport number: {US_PASSPORT}\nEmergency contact: {PERSON}, {PHONE_NUMBER}",
    "Claim {n}\nPolicyholder: {PERSON}\nDriver license: {US_DRIVER_LICENSE}\nAccident location: {LOCATION}",
]
CODE = [
    "# config.py\nAWS_ACCESS_KEY_ID = \"{API_KEY}\"\naws_secret_access_key = \"{AWS_SECRET}\"\nREGION = \"us-east-1\"",
    "version: '3'\nservices:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {PASSWORD}\n      POSTGRES_USER: app",
    "export GITHUB_TOKEN={API_KEY}\nexport NODE_ENV=production\nnpm publish",
    "const client = new Client({{ connectionString: '{DB_URL}' }});\nawait client.connect();",
    "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-prod\",\n  \"client_email\": \"{EMAIL_ADDRESS}\"\n}}",
    "ssh-keys/deploy_key:\n{PRIVATE_KEY}\n",
    "AZURE_STORAGE_CONNECTION_STRING=\"{AZURE}\"",
    "headers = {{\"Authorization\": \"Bearer {JWT}\"}}\nresp = requests.get(url, headers=headers)",
    "[database]\nhost = {IPV4}\nuser = admin\npassword = {PASSWORD}\n",
    "git remote add origin {CRED_URL}\ngit push -u origin main",
    "OPENAI_API_KEY={API_KEY}\nMODEL=gpt-4o\nTEMPERATURE=0.2",
    "def notify():\n    send_mail(to=\"{EMAIL_ADDRESS}\", subject=\"build failed\")\n    # owner: {PERSON}",
]
LOGS = [
    "2024-03-11T10:22:31Z ERROR auth failed for user {EMAIL_ADDRESS} from {IP_ADDRESS}",
    "Traceback (most recent call last):\n  File \"app.py\", line 42, in handler\n    notify(\"{EMAIL_ADDRESS}\")\nSMTPRecipientsRefused: {{'{EMAIL_ADDRESS}': (550, b'No such user')}}",
    "Mar 11 10:22:31 gw01 sshd[2214]: Failed password for root from {IPV4} port 52144 ssh2",
    "{IPV4} - - [11/Mar/2024:10:22:31 +0000] \"GET /api/users HTTP/1.1\" 200 512 \"-\" \"curl/8.4\"",
    "java.sql.SQLException: Access denied for user 'app'@'{IPV4}' (using password: YES)\n\tat com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:129)",
    "WARN dhcp: lease for {MAC_ADDRESS} -> {IPV4} renewed",
    "panic: dial tcp {IPV4}:5432: connect: connection refused\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:27 +0x1d",
    "level=error msg=\"webhook delivery failed\" recipient={EMAIL_ADDRESS} peer={IP_ADDRESS} attempt=3",
]
NEGATIVES = [
    "Upgrade from version 1.2.3.4 to 2.0.1 before the release on 2024-05-01.",
    "Order 4432-1190-33 shipped; tracking number 1Z999AA10123456784.",
    "Use `token = get_token()` and `password = os.environ['DB_PASSWORD']` instead of hardcoding.",
    "The meeting moved to 10:30:00 on 03/04/2024 in room B-12.",
    "Call std::vector<int>::push_back and Foo::bar() in the loop.",
    "See https://docs.python.org/3/library/re.html for the regex syntax.",
    "Set password: ${{DB_PASSWORD}} in the template and keep secret: <your-secret-here>.",
    "The commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 fixed issue 4821.",
    "ISBN 978-0-306-40615-7 is the second edition; it costs $49.99.",
    "Run the job at 02:00 UTC with 16 workers and a batch size of 4096.",
    "UUID 123e4567-e89b-12d3-a456-426614174000 identifies the request.",
    "The quarterly revenue was 1,234,567 dollars, up 12 percent year over year.",
    "Please summarise the attached paper on transformer attention in 200 words.",
    "What is the difference between TCP and UDP, and when should I use each?",
    "Write a haiku about autumn leaves falling on a quiet river.",
    "Convert 72 degrees Fahrenheit to Celsius and explain the formula.",
    "The function returns 0 on success and -1 on error; errno is set accordingly.",
    "Build 20240311.4 passed all 1287 tests in 4.2 minutes.",
    "Sort the list [5, 3, 9, 1] in ascending order using merge sort.",
    "Our office is closed on public holidays; support replies within 24 hours.",
]
CATEGORIES = [("prompt", PROMPTS, 420), ("chat", CHATS, 250), ("ticket", TICKETS, 260),
              ("code", CODE, 260), ("log", LOGS, 210), ("negative", NEGATIVES, 180)]


def main():
    out_path = Path(__file__).with_name("eval.jsonl")
    rows = []
    for cat, templates, count in CATEGORIES:
        for i in range(count):
            t = templates[i % len(templates)].replace("{n}", str(R.randint(10000, 99999)))
            text, spans = fill(t)
            rows.append({"id": f"{cat}-{i:04d}", "category": cat, "text": text, "spans": spans})
    with out_path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} texts, {sum(len(r['spans']) for r in rows)} spans to {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
