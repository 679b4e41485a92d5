"""Deterministic synthetic data for the reference server.

Everything here depends only on the seed and the size (the ``records`` multiplier, or an absolute
``size``): no clock is read, "now" is pinned at :data:`NOW`. Two tenants are generated: ``primary``
(the tenant of the demo key) and ``other_tenant`` (a smaller, different data set used to check tenant
isolation).

Generation makes one pass per table with Python's ``random``; the hot loops avoid work that does not
draw from the generator (weights are accumulated once, timestamps are formatted without ``strftime``),
so that a 100k-record data set builds in seconds. The draws, and so the data, are the same as ever.

Ids are globally unique: tariffs, rules, stations and sessions draw integers from one sequence per
table, customer ids (``user101``...) are numbered across tenants.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=timezone.utc)
"""The fixed "now" of the data set."""

PRIMARY_TENANT = 1
OTHER_TENANT = 2

KEY_LABELS = ("primary", "other_tenant", "revoked", "expired", "other_tenant_revoked", "other_tenant_expired")

OCPP_STATUSES = ("Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing",
                 "Reserved", "Unavailable", "Faulted", "Offline")
CONNECTOR_TYPES = ("CCS2", "CHAdeMO", "Type2", "GB/T", "Type1")
TARIFF_TYPES = ("ENERGY", "TIME", "FLAT")
SESSION_STATUSES = ("STARTED", "STOPPED", "FAILED")
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def timestamp(moment: datetime) -> str:
    """The wire (and storage) form of a timestamp: ISO 8601 UTC, second precision, ``Z``."""
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    if moment.year < 1000:  # isoformat pads the year to 4 digits, strftime's %Y does not
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat(timespec="seconds")[:19] + "Z"  # strftime's result, several times faster


def api_keys(seed: int) -> dict[str, str]:
    """The demo keys for a seed: ``iris_`` followed by 32 hex characters, one per label."""
    return {label: "iris_" + hashlib.sha256(f"iris-demo-key:{seed}:{label}".encode()).hexdigest()[:32]
            for label in KEY_LABELS}


@dataclass
class Dataset:
    tenants: list[dict] = field(default_factory=list)
    api_keys: list[dict] = field(default_factory=list)
    tariffs: list[dict] = field(default_factory=list)
    tariff_rules: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)
    stations: list[dict] = field(default_factory=list)
    charge_points: list[dict] = field(default_factory=list)
    connectors: list[dict] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)


class _Sequence:
    def __init__(self, start: int = 1) -> None:
        self._next = start

    def __call__(self) -> int:
        value = self._next
        self._next += 1
        return value


@dataclass(frozen=True)
class _Profile:
    tenant_id: int
    name: str
    tariff_names: tuple[str, ...]
    customers: int
    stations: int
    sessions: int
    cities: tuple[tuple, ...]
    brands: tuple[str, ...]
    special_stations: tuple[tuple, ...] = ()


# ----------------------------------------------------------------------------------------- words

_PRIMARY_TARIFFS = (
    "Standard Energy", "Happy Hours 50% off", "night_saver", "Peak Time Rate", "Off-Peak Energy",
    "FLAT fee Weekend", "Fleet Partner's Plan", "Highway Fast Charge", "Green Energy 100%",
    "Member_Discount", "Weekday Commuter", "premium DC", "Public AC Standard", "Corporate Flat",
    "Idle Fee", "Monsoon Special", "Diwali Offer 20% off", "Student_Plan", "Senior Citizens' Tariff",
    "Early Bird", "Late Night Flat", "Metro Parking Time", "Airport Express", "EV Club Gold",
    "standard energy (legacy)",
)
_OTHER_TARIFFS = (
    "Basic Plan", "Pro Plan", "City Flat", "Weekend_Time", "Night Owl 30% off", "Fleet Basic",
    "Depot Charging", "Visitor Rate", "Staff Plan", "Express DC",
)

_FIRST_NAMES = (
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan",
    "Rohan", "Kabir", "Anil", "Rahul", "Vikram", "Siddharth", "Karthik", "Manoj", "Suresh", "Rajesh",
    "Priya", "Ananya", "Diya", "Aadhya", "Saanvi", "Kavya", "Isha", "Meera", "Pooja", "Neha",
    "Sneha", "Lakshmi", "Divya", "Anjali", "Riya", "Nandini", "Shreya", "Tanvi", "Maria", "Fatima",
    "Imran", "Farhan", "Zoya", "Gurpreet", "Harpreet", "Simran", "Joseph", "Thomas", "Deepa", "Arun",
)
_LAST_NAMES = (
    "Sharma", "Verma", "Patel", "Shah", "Mehta", "Iyer", "Iyengar", "Nair", "Menon", "Pillai",
    "Reddy", "Rao", "Naidu", "Gupta", "Agarwal", "Joshi", "Kulkarni", "Deshpande", "Patil", "Pawar",
    "Singh", "Kaur", "Gill", "Chopra", "Kapoor", "Malhotra", "Khanna", "Banerjee", "Chatterjee", "Das",
    "Bose", "Sen", "Mukherjee", "Khan", "Qureshi", "Sheikh", "Fernandes", "D'Souza", "D'Costa",
    "D'Mello", "Pereira", "Thomas", "Varghese", "Kurian", "Hegde", "Shetty", "Kamath", "Bhat",
)
_EMAIL_DOMAINS = ("example.com", "example.in", "mail.example.org", "example.co.in", "example.net")

# (city, state, lat, lng, weight, localities)
_PRIMARY_CITIES = (
    ("Mumbai", "Maharashtra", 19.0760, 72.8777, 10, ("Andheri West", "Bandra Kurla Complex", "Powai", "Lower Parel", "Colaba", "Dadar", "Malad")),
    ("Navi Mumbai", "Maharashtra", 19.0330, 73.0297, 6, ("Vashi", "Nerul", "Belapur", "Kharghar", "Airoli")),
    ("Pune", "Maharashtra", 18.5204, 73.8567, 7, ("Hinjewadi", "Kothrud", "Viman Nagar", "Baner", "Hadapsar")),
    ("Thane", "Maharashtra", 19.2183, 72.9781, 3, ("Ghodbunder Road", "Majiwada", "Vartak Nagar")),
    ("Bengaluru", "Karnataka", 12.9716, 77.5946, 8, ("Koramangala", "Whitefield", "Indiranagar", "Electronic City", "Hebbal")),
    ("Mysuru", "Karnataka", 12.2958, 76.6394, 2, ("Vijayanagar", "Gokulam")),
    ("Delhi", "Delhi", 28.7041, 77.1025, 6, ("Rohini", "Pitampura", "Karol Bagh", "Dwarka")),
    ("New Delhi", "Delhi", 28.6139, 77.2090, 6, ("Connaught Place", "Saket", "Vasant Kunj", "Nehru Place")),
    ("Gurugram", "Haryana", 28.4595, 77.0266, 3, ("Cyber City", "Sohna Road", "Golf Course Road")),
    ("Noida", "Uttar Pradesh", 28.5355, 77.3910, 3, ("Sector 18", "Sector 62", "Greater Noida West")),
    ("Lucknow", "Uttar Pradesh", 26.8467, 80.9462, 1, ("Gomti Nagar", "Hazratganj")),
    ("Chennai", "Tamil Nadu", 13.0827, 80.2707, 4, ("T. Nagar", "OMR Sholinganallur", "Anna Nagar", "Guindy")),
    ("Hyderabad", "Telangana", 17.3850, 78.4867, 4, ("HITEC City", "Gachibowli", "Banjara Hills", "Kondapur")),
    ("Kolkata", "West Bengal", 22.5726, 88.3639, 2, ("Salt Lake", "Park Street", "New Town")),
    ("Ahmedabad", "Gujarat", 23.0225, 72.5714, 2, ("SG Highway", "Navrangpura", "Prahlad Nagar")),
    ("Jaipur", "Rajasthan", 26.9124, 75.7873, 2, ("Malviya Nagar", "Vaishali Nagar")),
    ("Kochi", "Kerala", 9.9312, 76.2673, 2, ("Edappally", "Kakkanad", "Marine Drive")),
    ("Panaji", "Goa", 15.4909, 73.8278, 1, ("Miramar", "Patto")),
    ("Chandigarh", "Chandigarh", 30.7333, 76.7794, 1, ("Sector 17", "Sector 35")),
    ("Visakhapatnam", "Andhra Pradesh", 17.6868, 83.2185, 1, ("MVP Colony", "Rushikonda")),
)
_OTHER_CITIES = (
    ("Mumbai", "Maharashtra", 19.0760, 72.8777, 3, ("Worli", "Goregaon", "Chembur")),
    ("Nagpur", "Maharashtra", 21.1458, 79.0882, 3, ("Dharampeth", "Sitabuldi")),
    ("Indore", "Madhya Pradesh", 22.7196, 75.8577, 3, ("Vijay Nagar", "Palasia")),
    ("Bhopal", "Madhya Pradesh", 23.2599, 77.4126, 2, ("MP Nagar", "Arera Colony")),
    ("Coimbatore", "Tamil Nadu", 11.0168, 76.9558, 2, ("RS Puram", "Peelamedu")),
    ("Surat", "Gujarat", 21.1702, 72.8311, 2, ("Adajan", "Vesu")),
)
_PRIMARY_BRANDS = ("IRIS Hub", "ChargeZone", "Tata Power EZ Charge", "Jio-bp pulse", "Statiq", "EV Point",
                   "GreenVolt", "Zeon Charging", "Ather Grid", "Fortum Charge & Drive")
_OTHER_BRANDS = ("VoltUp", "PlugNGo", "ElectroMile", "ChargeGrid")
_STREETS = ("MG Road", "Link Road", "Station Road", "Ring Road", "SV Road", "LBS Marg", "Outer Ring Road",
            "Nehru Marg", "Church Street", "Service Road", "Highway Service Lane", "Market Road")
_PLACES = ("Mall", "Tech Park", "Metro Station", "Petrol Pump", "Hotel", "Business Centre", "Hospital",
           "Airport Parking", "Residency", "Food Court")

# Stations that exercise the geometry: the antimeridian (Fiji) and high latitudes.
# (name, address, city, state, country, lat, lng, always_open, opening_hours)
_SPECIAL_STATIONS = (
    ("Savusavu Marina EV", "Copra Shed Marina, Main Street", "Savusavu", "Northern", "FJ", -16.8, 179.95, True, None),
    ("Taveuni Dateline Charge", "Waiyevo, 180th Meridian Park", "Taveuni", "Northern", "FJ", -16.8, -179.95, False, "07:00-19:00"),
    ("Rabi Island Point", "Nuku Village Jetty", "Rabi", "Northern", "FJ", -16.45, -179.97, True, None),
    ("Meridian Buoy Charger", "Somosomo Strait Mooring", "Taveuni", "Northern", "FJ", -16.85, -180.0, True, None),
    ("Longyearbyen Polar Charge", "Vei 600, Sentrum", "Longyearbyen", "Svalbard", "SJ", 78.2232, 15.6267, True, None),
    ("Barneo Ice Camp Charger", "Drifting Ice Station Barneo", "Barneo", "Arctic Ocean", "NO", 89.5, 30.0, False, "Apr 09:00-18:00"),
)

_OPENING_HOURS = ("06:00-22:00", "08:00-20:00", "Mon-Sat 08:00-20:00", "07:00-23:00", "Mon-Fri 09:00-18:00",
                  "05:30-23:30")

_POINT_STATUS_WEIGHTS = tuple(itertools.accumulate((50, 4, 20, 2, 3, 3, 3, 5, 4, 6)))
_CONNECTOR_STATUS_WEIGHTS = tuple(itertools.accumulate((70, 3, 8, 1, 2, 2, 4, 4, 3, 3)))
_CONNECTOR_TYPE_WEIGHTS = tuple(itertools.accumulate((40, 12, 35, 8, 5)))
"""Cumulative weights: ``choices(p, cum_weights=c)`` draws exactly as ``choices(p, weights)``, without
accumulating the weights on every call."""

_POWER = {"CCS2": (30.0, 50.0, 60.0, 120.0, 150.0), "CHAdeMO": (25.0, 50.0), "Type2": (7.4, 11.0, 22.0),
          "GB/T": (60.0, 120.0), "Type1": (3.3, 7.4)}


OTHER_TENANT_SHARE = 5
"""With an absolute ``size`` the other tenant has a fifth of the primary tenant's records."""


def _profiles(records: int, size: int | None = None) -> tuple[_Profile, _Profile]:
    """Records per tenant: ``records`` multiplies the demo data set (150 customers, 80 + 6 stations and
    2000 sessions for the primary tenant; 40, 20 and 300 for the other); ``size``, when given, is
    instead the number of customers, of stations (plus the 6 special ones) and of sessions of the primary
    tenant, and the other tenant gets ``size // 5`` of each (at least 1)."""
    if size is not None:
        other_size = max(1, size // OTHER_TENANT_SHARE)
        counts = ((size, size, size), (other_size, other_size, other_size))
    else:
        counts = ((150 * records, 80 * records, 2000 * records), (40 * records, 20 * records, 300 * records))
    primary = _Profile(PRIMARY_TENANT, "primary", _PRIMARY_TARIFFS, *counts[0],
                       _PRIMARY_CITIES, _PRIMARY_BRANDS, _SPECIAL_STATIONS)
    other = _Profile(OTHER_TENANT, "other_tenant", _OTHER_TARIFFS, *counts[1], _OTHER_CITIES, _OTHER_BRANDS)
    return primary, other


# ------------------------------------------------------------------------------------ generation

class _TenantGenerator:
    def __init__(self, profile: _Profile, seed: int, ids: dict[str, _Sequence], out: Dataset) -> None:
        self.p = profile
        self.rng = random.Random(f"iris-reference:{seed}:{profile.name}")
        self.ids = ids
        self.out = out
        self.tariffs: list[dict] = []
        self.rules_by_tariff: dict[int, list[dict]] = {}
        self.customers: list[dict] = []
        self.stations: list[dict] = []
        self.points_by_station: dict[int, list[dict]] = {}
        self.connectors_by_point: dict[str, list[dict]] = {}

    def run(self) -> None:
        self.make_tariffs()
        self.make_customers()
        self.make_stations()
        self.make_sessions()

    # ------------------------------------------------------------------------------ helpers
    def moment_between(self, start: datetime, end: datetime, resolution: int = 1) -> datetime:
        span = int((end - start).total_seconds()) // resolution
        return start + timedelta(seconds=self.rng.randint(0, span) * resolution)

    # ------------------------------------------------------------------------------ tariffs
    def make_tariffs(self) -> None:
        rng = self.rng
        start, end = datetime(2023, 1, 1, tzinfo=timezone.utc), NOW - timedelta(days=30)
        launch = timestamp(datetime(2024, 4, 1, 0, 0, 0, tzinfo=timezone.utc))
        for index, name in enumerate(self.p.tariff_names):
            kind = TARIFF_TYPES[index % 3] if index < 6 else rng.choice(TARIFF_TYPES)
            # a block of tariffs created together (ties on created_at)
            created = launch if index % 7 == 3 else timestamp(self.moment_between(start, end, 60))
            currency = "USD" if name == "Airport Express" else "INR"
            tariff = {"id": self.ids["tariff"](), "tenant_id": self.p.tenant_id, "name": name, "type": kind,
                      "currency": currency, "isactive": index % 4 != 2, "created_at": created}
            self.out.tariffs.append(tariff)
            self.tariffs.append(tariff)
            rules = [self.make_rule(tariff, position) for position in range(rng.randint(1, 3))]
            self.rules_by_tariff[tariff["id"]] = rules

    def make_rule(self, tariff: dict, position: int) -> dict:
        rng = self.rng
        kind = tariff["type"]
        if kind == "ENERGY":
            unit, price = "kWh", round(rng.uniform(8, 26) * 2) / 2
        elif kind == "TIME":
            unit, price = "min", round(rng.uniform(0.5, 5.0), 2)
        else:
            unit, price = "session", float(rng.choice((49, 99, 149, 199, 249, 299)))
        if "50%" in tariff["name"] or "20%" in tariff["name"]:
            price = round(price / 2, 2)
        if tariff["name"] == "Idle Fee" and position == 0:
            price = 0.0
        window = rng.random()
        if position == 0 and window < 0.45:
            start_time = end_time = None
        else:
            start_time, end_time = rng.choice((("00:00", "06:00"), ("06:00", "10:00"), ("10:00", "18:00"),
                                               ("18:00", "22:00"), ("22:00", "06:00"), ("12:30", "16:45"),
                                               ("09:15", "23:59")))
        pattern = rng.random()
        if pattern < 0.4:
            days = list(DAYS)
        elif pattern < 0.65:
            days = list(DAYS[:5])
        elif pattern < 0.8:
            days = list(DAYS[5:])
        else:
            days = [day for day in DAYS if rng.random() < 0.5] or ["SUN"]
        rule = {"id": self.ids["rule"](), "tariff_id": tariff["id"], "position": position, "price": price,
                "unit": unit, "start_time": start_time, "end_time": end_time, "days": days}
        self.out.tariff_rules.append(rule)
        return rule

    # ---------------------------------------------------------------------------- customers
    def make_customers(self) -> None:
        rng = self.rng
        start, end = datetime(2023, 6, 1, tzinfo=timezone.utc), NOW - timedelta(hours=2)
        import_batch = timestamp(datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc))
        for index in range(self.p.customers):
            number = self.ids["customer"]()
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            name = f"{first} {last}"
            style = rng.random()
            if style < 0.08:
                name = name.lower()
            elif style < 0.14:
                name = name.upper()
            elif style < 0.18:
                name = f"{first} {rng.choice(_LAST_NAMES)}-{last}"
            local_first, local_last = first.lower(), last.lower().replace("'", "")
            form = rng.random()
            if form < 0.35:
                local = f"{local_first}.{local_last}"
            elif form < 0.6:
                local = f"{local_first}_{local_last}{rng.randint(1, 99)}"
            elif form < 0.8:
                local = f"{local_first[0]}.{local_last}_{number % 1000}"
            else:
                local = f"{local_last}.{local_first}{rng.randint(70, 99)}"
            email = f"{local}@{rng.choice(_EMAIL_DOMAINS)}"
            if rng.random() < 0.05:
                email = email.capitalize()
            phone = f"+91 {rng.choice('6789')}{rng.randint(0, 9999):04d} {rng.randint(0, 99999):05d}"
            created = import_batch if index % 11 == 5 else timestamp(self.moment_between(start, end))
            customer = {"id": f"user{number}", "tenant_id": self.p.tenant_id, "name": name, "email": email,
                        "phone": phone, "created_at": created}
            self.out.customers.append(customer)
            self.customers.append(customer)

    # ----------------------------------------------------------------------------- stations
    def make_stations(self) -> None:
        rng = self.rng
        start, end = datetime(2022, 1, 1, tzinfo=timezone.utc), NOW - timedelta(days=3)
        cities = self.p.cities
        weights = list(itertools.accumulate(city[4] for city in cities))
        batch = timestamp(datetime(2023, 8, 15, 10, 0, 0, tzinfo=timezone.utc))
        previous: dict | None = None
        for index in range(self.p.stations):
            city, state, lat0, lng0, _weight, localities = rng.choices(cities, cum_weights=weights)[0]
            locality = rng.choice(localities)
            brand = rng.choice(self.p.brands)
            name = f"{brand} {locality}"
            if rng.random() < 0.35:
                name += f" {rng.choice(_PLACES)}"
            variant = rng.random()
            if variant < 0.06:
                name = name.lower()
            elif variant < 0.1:
                name = name.upper()
            address = f"{rng.randint(1, 450)}, {rng.choice(_STREETS)}, {locality}"
            if rng.random() < 0.3:
                address = f"Shop No. {rng.randint(1, 40)}, {address}"
            if previous is not None and previous["city"] == city and rng.random() < 0.25:
                # two stations in the same building: same coordinates (ties on distance)
                lat, lng = previous["lat"], previous["lng"]
            else:
                lat = round(lat0 + rng.uniform(-0.12, 0.12), 6)
                lng = round(lng0 + rng.uniform(-0.12, 0.12), 6)
            always_open = rng.random() < 0.55
            created = batch if index % 9 == 4 else timestamp(self.moment_between(start, end))
            station = self.add_station(name, address, city, state, "IN", lat, lng, always_open,
                                       None if always_open else rng.choice(_OPENING_HOURS), created)
            previous = station
        for name, address, city, state, country, lat, lng, always_open, hours in self.p.special_stations:
            self.add_station(name, address, city, state, country, lat, lng, always_open, hours,
                             timestamp(self.moment_between(start, end)))

    def add_station(self, name, address, city, state, country, lat, lng, always_open, hours, created) -> dict:
        station = {"id": self.ids["station"](), "tenant_id": self.p.tenant_id, "name": name, "address": address,
                   "city": city, "state": state, "country": country, "lat": lat, "lng": lng,
                   "always_open": always_open, "opening_hours": None if always_open else hours,
                   "created_at": created}
        self.out.stations.append(station)
        self.stations.append(station)
        self.make_charge_points(station)
        return station

    def make_charge_points(self, station: dict) -> None:
        rng = self.rng
        points = []
        for n in range(1, rng.choice((1, 2, 2, 2, 3, 3, 4)) + 1):
            status = rng.choices(OCPP_STATUSES, cum_weights=_POINT_STATUS_WEIGHTS)[0]
            updated = timestamp(NOW - timedelta(seconds=rng.randint(5, 2 * 86400)))
            point = {"id": f"CP-{station['id']}-{n}", "station_id": station["id"], "position": n,
                     "status": status, "last_updated": updated}
            self.out.charge_points.append(point)
            points.append(point)
            connectors = []
            for connector_id in range(1, rng.choice((1, 1, 2, 2, 2, 3)) + 1):
                kind = rng.choices(CONNECTOR_TYPES, cum_weights=_CONNECTOR_TYPE_WEIGHTS)[0]
                if status in ("Unavailable", "Faulted", "Offline"):
                    connector_status = status
                elif status == "Charging" and connector_id == 1:
                    connector_status = "Charging"
                else:
                    connector_status = rng.choices(OCPP_STATUSES, cum_weights=_CONNECTOR_STATUS_WEIGHTS)[0]
                connector = {"charge_point_id": point["id"], "id": connector_id, "type": kind,
                             "power_kw": rng.choice(_POWER[kind]), "status": connector_status}
                self.out.connectors.append(connector)
                connectors.append(connector)
            self.connectors_by_point[point["id"]] = connectors
        self.points_by_station[station["id"]] = points

    # ----------------------------------------------------------------------------- sessions
    def make_sessions(self) -> None:
        rng = self.rng
        begin = NOW - timedelta(days=548)
        recent: list[datetime] = []
        customers, stations, tariffs = self.customers, self.stations, self.tariffs
        station_weights = list(itertools.accumulate(1 + (i % 5) for i in range(len(stations))))
        for index in range(self.p.sessions):
            customer = customers[int(len(customers) * rng.random() ** 1.3)]
            station = rng.choices(stations, cum_weights=station_weights)[0]
            point = rng.choice(self.points_by_station[station["id"]])
            connector = rng.choice(self.connectors_by_point[point["id"]])
            tariff = rng.choice(tariffs) if rng.random() < 0.85 else None
            roll = rng.random()
            status = "STARTED" if roll < 0.04 else "FAILED" if roll < 0.13 else "STOPPED"
            if status == "STARTED":
                start = NOW - timedelta(minutes=rng.randint(3, 8 * 60))
            elif recent and index % 23 == 7:
                start = rng.choice(recent)  # the exact same start_time as another session
            else:
                start = self.moment_between(begin, NOW - timedelta(minutes=15), 60)
            if status != "STARTED":
                recent.append(start)
                if len(recent) > 50:
                    recent.pop(0)
            power = min(connector["power_kw"], rng.choice((7.4, 11.0, 22.0, 50.0, 60.0, 120.0)))
            if status == "STOPPED":
                limit = max(1, int((NOW - start).total_seconds() // 60))
                minutes = min(rng.randint(8, 240), limit)
                end = start + timedelta(minutes=minutes)
                energy = round(min(power * minutes / 60 * rng.uniform(0.55, 0.95), rng.uniform(20, 85)), 1)
            elif status == "STARTED":
                minutes = int((NOW - start).total_seconds() // 60)
                end = None
                energy = round(min(power * minutes / 60 * rng.uniform(0.5, 0.9), 70.0), 1)
            else:
                minutes = rng.randint(0, 3)
                end = start + timedelta(minutes=minutes) if rng.random() < 0.6 else None
                energy = 0.0
            cost = self.cost(tariff, energy, minutes, status)
            self.out.sessions.append({
                "id": self.ids["session"](), "tenant_id": self.p.tenant_id, "user_id": customer["id"],
                "charge_station_id": station["id"], "charge_point_id": point["id"],
                "connector_id": connector["id"], "tariff_id": tariff["id"] if tariff else None,
                "status": status, "start_time": timestamp(start), "end_time": timestamp(end) if end else None,
                "energy_kwh": energy, "cost": cost, "currency": tariff["currency"] if tariff else "INR",
            })

    def cost(self, tariff: dict | None, energy: float, minutes: int, status: str) -> float:
        if status == "FAILED":
            return 0.0
        if tariff is None:
            return round(energy * 18.0, 2)
        price = self.rules_by_tariff[tariff["id"]][0]["price"]
        if tariff["type"] == "ENERGY":
            return round(energy * price, 2)
        if tariff["type"] == "TIME":
            return round(minutes * price, 2)
        return round(price, 2)


def generate(seed: int = 20261124, records: int = 1, size: int | None = None) -> Dataset:
    """Generate the whole data set for ``seed``; ``records`` multiplies customers, stations and sessions,
    ``size`` (when given, instead) sets their number for the primary tenant (see :func:`_profiles`)."""
    out = Dataset()
    out.tenants = [{"id": PRIMARY_TENANT, "name": "IRIS Demo Networks"},
                   {"id": OTHER_TENANT, "name": "Other Tenant Charging Co"}]
    keys = api_keys(seed)
    valid_until = datetime(2099, 12, 31, tzinfo=timezone.utc).timestamp()
    expired_at = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    for label, key in keys.items():
        tenant = OTHER_TENANT if label.startswith("other_tenant") else PRIMARY_TENANT
        out.api_keys.append({"tenant_id": tenant, "label": label, "key": key,
                             "revoked": label.endswith("revoked"),
                             "expires_at": expired_at if label.endswith("expired") else valid_until})
    ids = {"tariff": _Sequence(1), "rule": _Sequence(1), "customer": _Sequence(101),
           "station": _Sequence(1), "session": _Sequence(1)}
    for profile in _profiles(records, size):
        _TenantGenerator(profile, seed, ids, out).run()
    return out
